"""A picture beside every name on the picture sign-in screen, so a non-reader finds themself.

Each pupil gets a coloured shape that is theirs in their class: worked out from the pupil
(no table, nothing to choose), never one of the sign-in pictures, and different from every
classmate's while the class has fewer than 48 pupils. Pupils keep their mark as others
join, since a newcomer (a higher id) never takes a mark already held.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..db import db
from ..models import Pupil

COLOURS = (
    ("red", "#c62828"), ("orange", "#ef6c00"), ("yellow", "#f9c80e"), ("green", "#2e7d32"),
    ("blue", "#1565c0"), ("purple", "#6a1b9a"), ("pink", "#d81b60"), ("brown", "#6d4c41"),
)
SHAPES = ("circle", "square", "triangle", "diamond", "heart", "hexagon")
PATHS = {
    "circle": "M32 6a26 26 0 1 0 0.01 0z",
    "square": "M8 8h48v48H8z",
    "triangle": "M32 5l28 52H4z",
    "diamond": "M32 3l29 29-29 29L3 32z",
    "heart": "M32 58C12 44 4 33 4 21 4 12 11 6 19 6c6 0 10 3 13 8 3-5 7-8 13-8 8 0 15 6 15 15 "
             "0 12-8 23-28 37z",
    "hexagon": "M18 6h28l14 26-14 26H18L4 32z",
}
SLOTS = len(COLOURS) * len(SHAPES)


@dataclass(frozen=True)
class Mark:
    colour: str
    hex: str
    shape: str

    @property
    def label(self) -> str:
        return f"{self.colour} {self.shape}"

    @property
    def path(self) -> str:
        return PATHS[self.shape]


def _mark(slot: int) -> Mark:
    colour, hex_ = COLOURS[slot % len(COLOURS)]
    return Mark(colour, hex_, SHAPES[(slot // len(COLOURS)) % len(SHAPES)])


def _start(pupil_id: int) -> int:
    return int(hashlib.sha256(f"mark|{pupil_id}".encode()).hexdigest()[:8], 16) % SLOTS


def assign(pupil_ids: Iterable[int]) -> dict[int, Mark]:
    """Marks for one class: in id order, each pupil takes its own slot or the next free."""
    taken: set[int] = set()
    marks: dict[int, Mark] = {}
    for pupil_id in sorted(pupil_ids):
        slot = _start(pupil_id)
        for step in range(SLOTS):
            if (slot + step) % SLOTS not in taken or len(taken) >= SLOTS:
                slot = (slot + step) % SLOTS
                break
        taken.add(slot)
        marks[pupil_id] = _mark(slot)
    return marks


def class_marks(class_ids: Iterable[int]) -> dict[int, Mark]:
    """Every active pupil's mark in these classes (one query)."""
    ids = sorted(set(class_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(Pupil.id, Pupil.class_id).where(
        Pupil.class_id.in_(ids), Pupil.status == "active"))
    by_class: dict[int, list[int]] = {}
    for pupil_id, class_id in rows:
        by_class.setdefault(class_id, []).append(pupil_id)
    marks: dict[int, Mark] = {}
    for members in by_class.values():
        marks.update(assign(members))
    return marks


def marks_for(pupils: Iterable[Pupil]) -> dict[int, Mark]:
    """The marks of these pupils, each worked out within their own class."""
    return class_marks(p.class_id for p in pupils)
