"""Celebration without pressure: a badge per finished lesson and a certificate per finished
phase of the course. No scores against other children, no streaks, no timers."""

from __future__ import annotations

from dataclasses import dataclass

from ..content.model import Catalogue, Lesson
from ..content.phases import PHASES, phases_of

CERTIFICATE_TITLES = {
    "ks1": "Safe and kind online",
    "lower-ks2": "Smart and safe online",
    "upper-ks2": "Confident and resilient online",
}


@dataclass(frozen=True)
class Block:
    id: str
    band: str
    title: str
    years_label: str
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class BlockProgress:
    block: Block
    done: int

    @property
    def complete(self) -> bool:
        return self.done == len(self.block.lessons)


def blocks_for(catalogue: Catalogue, band: str) -> list[Block]:
    """The phases of the pupil's band that have lessons, each a set with a certificate."""
    out = []
    for phase in PHASES:
        if phase.band != band:
            continue
        lessons = tuple(x for x in catalogue.by_band[band] if phase in phases_of(x))
        if lessons:
            out.append(Block(phase.id, band, CERTIFICATE_TITLES[phase.id], phase.years_label,
                             lessons))
    return out


def block_progress(catalogue: Catalogue, band: str, completed: set[str]) -> list[BlockProgress]:
    return [BlockProgress(b, sum(1 for x in b.lessons if x.slug in completed))
            for b in blocks_for(catalogue, band)]
