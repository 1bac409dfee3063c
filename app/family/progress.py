"""What a parent sees of their own child: lessons finished and under way, and the family tips
that go with the lessons their child has done. Never answers, misconceptions or worries."""

from __future__ import annotations

from dataclasses import dataclass

from ..content.model import Catalogue
from ..learn.progress import LessonCard, home_cards
from ..models import Pupil


@dataclass(frozen=True)
class ChildProgress:
    pupil: Pupil
    cards: list[LessonCard]
    carry_on: LessonCard | None

    @property
    def done(self) -> list[LessonCard]:
        return [c for c in self.cards if c.completed]

    @property
    def started(self) -> list[LessonCard]:
        return [c for c in self.cards if c.started and not c.completed]

    @property
    def percent(self) -> int:
        return round(100 * len(self.done) / len(self.cards)) if self.cards else 0


def child_progress(catalogue: Catalogue, pupil: Pupil) -> ChildProgress:
    cards, carry_on = home_cards(catalogue, pupil)  # one query for the child's progress
    return ChildProgress(pupil, cards, carry_on)
