"""The garbage collector, set for a web worker once the app is built.

Python's cyclic collector walks every live object it tracks. A built app holds about 110,000
of them (the course, the templates, SQLAlchemy's mappers), all alive for the life of the
process, and the full collections that walk them came every few class pages and took most of
a request each: the class page's slowest responses (bench/run.py class; docs/performance.md
"Garbage collection"). ``gc.freeze()`` moves what exists at start-up out of the collector's
sight, and a larger first-generation threshold lets a request finish between collections.
Reference counting still frees almost everything at once; only reference cycles wait.
"""

from __future__ import annotations

import gc

# Objects allocated (less freed) before a first-generation collection; Python's default is
# 700, a few times in every page. 10,000 is about one page's worth.
FIRST_GENERATION_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Call once per worker, after create_app(): collect, freeze, raise the threshold."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)
