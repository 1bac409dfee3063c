"""What a parent sees of their own child: lessons finished and under way, and the family tips
that go with the lessons their child has done. Never answers, misconceptions or worries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..auth.agreements import agreement_for
from ..content.model import Catalogue
from ..db import db
from ..learn.progress import LessonCard, home_cards
from ..models import AgreementAcceptance, Pupil, User
from ..teach.assignments import Work, pupil_lessons, pupil_work


@dataclass(frozen=True)
class ChildProgress:
    pupil: Pupil
    cards: list[LessonCard]
    carry_on: LessonCard | None
    # (work, its lesson's card), soonest due first
    set_work: list[tuple[Work, LessonCard | None]] = field(default_factory=list)

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
    """The lessons open to the child with progress, and what the teacher has set (the due
    date and the teacher's note; a baseline check shows only as set, never its answers)."""
    work = pupil_work(pupil, catalogue)
    lessons = pupil_lessons(pupil, catalogue, work)
    work = [w for w in work if w.lesson in lessons]
    cards, carry_on = home_cards(catalogue, pupil, lessons)
    by_slug = {c.lesson.slug: c for c in cards}
    seen: set[tuple[str, str]] = set()
    shown: list[tuple[Work, LessonCard | None]] = []
    for w in work:
        if w.lesson is None:
            continue
        key = (w.lesson.slug, w.assignment.kind)
        if key not in seen:
            seen.add(key)
            shown.append((w, by_slug.get(w.lesson.slug)))
    return ChildProgress(pupil, cards, carry_on, shown)


def agreed_at(parent: User) -> datetime | None:
    """When this family account accepted the current parent and carer agreement."""
    agreement = agreement_for(parent.agreement_key)
    return db.session.scalar(select(AgreementAcceptance.accepted_at).where(
        AgreementAcceptance.user_id == parent.id,
        AgreementAcceptance.agreement == agreement.key,
        AgreementAcceptance.version == agreement.version))
