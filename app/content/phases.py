"""The three phases of the course, from each lesson's years: KS1 (Years 1-2), lower KS2
(Years 3-4) and upper KS2 (Years 5-6). Staff plan by them; pupils earn a certificate per phase."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Lesson


@dataclass(frozen=True)
class Phase:
    """A column of the course plan: KS1, lower KS2 or upper KS2."""

    id: str
    band: str
    name: str
    years: tuple[int, ...]

    @property
    def years_label(self) -> str:
        return years_label(self.years)


PHASES = (
    Phase("ks1", "ks1", "Key Stage 1", (1, 2)),
    Phase("lower-ks2", "ks2", "Lower Key Stage 2", (3, 4)),
    Phase("upper-ks2", "ks2", "Upper Key Stage 2", (5, 6)),
)


def years_label(years: Iterable[int]) -> str:
    ys = sorted(set(years))
    if not ys:
        return ""
    if len(ys) == 1:
        return f"Year {ys[0]}"
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"Years {ys[0]}-{ys[-1]}"
    return "Years " + ", ".join(map(str, ys))


def phases_of(lesson: Lesson) -> list[Phase]:
    """The phases a lesson is taught in, from its years (a Years 3-6 lesson is in both KS2)."""
    return [p for p in PHASES if p.band == lesson.band and set(lesson.years) & set(p.years)]
