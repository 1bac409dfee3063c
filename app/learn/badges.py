"""Celebration without pressure: a badge per finished lesson and a certificate per finished
block (a phase of the course). No scores against other children, no streaks, no timers."""

from __future__ import annotations

from dataclasses import dataclass

from ..content.model import Catalogue, Lesson

BLOCKS = (
    ("ks1", "ks1", (1, 2), "Safe and kind online", "Key Stage 1"),
    ("lower-ks2", "ks2", (3, 4), "Smart and safe online", "Years 3 and 4"),
    ("upper-ks2", "ks2", (5, 6), "Confident and resilient online", "Years 5 and 6"),
)


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
    out = []
    for block_id, block_band, years, title, label in BLOCKS:
        if block_band != band:
            continue
        lessons = tuple(x for x in catalogue.by_band[band] if set(x.years) & set(years))
        if lessons:
            out.append(Block(block_id, band, title, label, lessons))
    return out


def block_progress(catalogue: Catalogue, band: str, completed: set[str]) -> list[BlockProgress]:
    return [BlockProgress(b, sum(1 for x in b.lessons if x.slug in completed))
            for b in blocks_for(catalogue, band)]
