"""The web worker's garbage-collector settings (app/ops/memory.py): what is built at start-up
is frozen out of the collector's sight and the first generation waits for a page's worth of
objects. The gain is measured in bench/ (docs/performance.md), never timed here."""

from __future__ import annotations

import gc
import weakref

from app.ops.memory import FIRST_GENERATION_THRESHOLD, settle_after_start


class Node:
    me: Node | None = None


def test_settling_freezes_start_up_objects_and_raises_the_first_threshold(app):
    before = gc.get_threshold()
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 10_000  # the app and its course, built by the fixture
        assert gc.get_threshold() == (FIRST_GENERATION_THRESHOLD, *before[1:])
        # cycles made after start-up are still collected
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        del node
        gc.collect()
        assert ref() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
