"""Lesson progress: where a pupil is, what they chose and answered. Plain functions.

They add and flush; the view commits once (docs/architecture.md, the transaction rule)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ..content.loader import following
from ..content.model import Catalogue, Lesson, Step
from ..db import db, utcnow
from ..models import LessonProgress, Pupil, QuizAnswer, ScenarioChoice
from .quiz import Marked


@dataclass(frozen=True)
class LessonCard:
    lesson: Lesson
    percent: int
    started: bool
    completed: bool
    current: str | None


@cache
def _progress_query() -> Select[LessonProgress]:
    """Built once: every lesson page reads the pupil's row for that lesson. Kept because it
    measures faster: 81-88 us a read against 142-161 us for a select() built each time
    (``python -m bench.statements``, 2026-12-02), about 3 % of a lesson page's server time."""
    return select(LessonProgress).where(LessonProgress.pupil_id == bindparam("pupil_id"),
                                        LessonProgress.lesson_slug == bindparam("slug"))


def progress_for(pupil: Pupil, lesson: Lesson) -> LessonProgress | None:
    row: LessonProgress | None = db.session.scalar(
        _progress_query(), {"pupil_id": pupil.id, "slug": lesson.slug})
    return row


def percent(lesson: Lesson, row: LessonProgress | None) -> int:
    if row is None:
        return 0
    if row.completed_at is not None:
        return 100
    return min(99, round(100 * row.step_reached / max(1, lesson.total_positions)))


def home_cards(catalogue: Catalogue, pupil: Pupil, lessons: list[Lesson] | None = None
               ) -> tuple[list[LessonCard], LessonCard | None]:
    """The pupil's lessons with progress (one query), and the lesson to carry on with.
    ``lessons``: only these (the ones open to the pupil); default every lesson of the band."""
    rows = {r.lesson_slug: r for r in db.session.scalars(
        select(LessonProgress).where(LessonProgress.pupil_id == pupil.id))}
    cards = []
    for lesson in (catalogue.by_band[pupil.band] if lessons is None else lessons):
        row = rows.get(lesson.slug)
        cards.append(LessonCard(lesson, percent(lesson, row), row is not None,
                                bool(row and row.completed_at), row.current if row else None))
    in_progress = [c for c in cards if c.started and not c.completed]
    carry_on = None
    if in_progress:
        carry_on = max(in_progress, key=lambda c: rows[c.lesson.slug].updated_at)
    return cards, carry_on


def visit(pupil: Pupil, lesson: Lesson, position: str,
          row: LessonProgress | None = None) -> LessonProgress:
    """Record that the pupil is at ``position``; start the lesson on the first visit.

    Writes only when something changed, so re-opening a page costs no write; a second tab
    starting the same lesson at the same moment finds the row the first one made.
    """
    row = row or progress_for(pupil, lesson)
    now = utcnow()
    if row is None:
        row = LessonProgress(school_id=pupil.school_id, pupil_id=pupil.id,
                             lesson_slug=lesson.slug, step_reached=0, current=position,
                             started_at=now, updated_at=now)
        try:
            with db.session.begin_nested():  # a savepoint: only this insert is undone
                db.session.add(row)
        except IntegrityError:
            found = progress_for(pupil, lesson)
            assert found is not None  # the other tab's row, committed before ours failed
            row = found
    index = lesson.position_index(position)
    changed = False
    if index > row.step_reached:
        row.step_reached, changed = index, True
    if row.completed_at is None and row.current != position:
        row.current, changed = position, True
    if position == "done" and row.completed_at is None:
        row.completed_at, row.current, changed = now, "done", True
    if changed:
        row.updated_at = now
        db.session.flush()
    return row


def allowed(pupil: Pupil, lesson: Lesson, position: str,
            row: LessonProgress | None = None) -> bool:
    """A pupil may open any place they have reached or unlocked (no skipping ahead by URL)."""
    if position == lesson.positions[0]:
        return True
    if row is None:
        return False
    if row.completed_at is not None:
        return True
    return position in lesson.positions and lesson.position_index(position) <= row.step_reached


def after_step(lesson: Lesson, step: Step, choice_key: str | None = None) -> str | None:
    """Where to go after a story step, or after a scenario choice (None: try again)."""
    if step.type == "story":
        target = step.next or following(lesson.steps, step)
    else:
        choice = step.choice(choice_key or "")
        if choice is None:
            return None
        if choice.next:
            target = choice.next
        elif choice.safe:
            target = following(lesson.steps, step)
        else:
            return None
    return _position(lesson, target)


def _position(lesson: Lesson, target: str) -> str:
    if target == "quiz":
        return f"quiz:{lesson.quiz.questions[0].id}"
    return f"step:{target}"


def unlock(pupil: Pupil, lesson: Lesson, position: str) -> None:
    """Open ``position`` for the pupil: the next place, or a branch target further on."""
    row = progress_for(pupil, lesson)
    index = lesson.position_index(position)
    if row is None:
        row = visit(pupil, lesson, lesson.positions[0])
    if index > row.step_reached:
        row.step_reached = index
    if row.completed_at is None:
        row.current = position  # the pupil is on their way there: carry on from it
    row.updated_at = utcnow()
    db.session.flush()


Sent = TypeVar("Sent", QuizAnswer, ScenarioChoice)


def _sent_before(model: type[Sent], pupil_id: int, sent: str | None) -> Sent | None:
    """The answer or choice already stored from the page with this token, if any."""
    if not sent:
        return None
    found: Sent | None = db.session.scalar(select(model).where(model.pupil_id == pupil_id,
                                                               model.client_token == sent))
    return found


def _add_once(row: Sent, sent: str | None) -> Sent:
    """Insert ``row``; if the same page's token won a race meanwhile, that row instead."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        won = _sent_before(type(row), row.pupil_id, sent)
        assert won is not None  # the unique (pupil, token) row that made the insert fail
        return won
    return row


def record_choice(pupil: Pupil, lesson: Lesson, step: Step, key: str,
                  sent: str | None = None) -> ScenarioChoice:
    """Store a scenario choice; the pupil's first at this step is the one assessment counts.
    The same page sent again (``sent``, its token) is the same choice, not another."""
    again = _sent_before(ScenarioChoice, pupil.id, sent)
    if again is not None:
        return again
    choice = step.choice(key)
    assert choice is not None
    earlier = db.session.scalar(select(func.count(ScenarioChoice.id)).where(
        ScenarioChoice.pupil_id == pupil.id, ScenarioChoice.lesson_slug == lesson.slug,
        ScenarioChoice.step_id == step.id)) or 0
    row = ScenarioChoice(school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=lesson.slug,
                         step_id=step.id, choice=key, safe=choice.safe,
                         misconception=choice.misconception, first_try=earlier == 0,
                         client_token=sent or None)
    row = _add_once(row, sent)
    db.session.flush()
    return row


def record_answer(pupil: Pupil, lesson: Lesson, question_id: str, marked: Marked,
                  baseline: bool = False, sent: str | None = None) -> QuizAnswer:
    """Store a quiz answer. Attempts count lesson answers only: attempt 1 is the first try,
    the one assessment scores. A baseline check's answers are kept apart (attempt 0). The
    same page sent again (``sent``, its token) is the same answer, not another try."""
    again = _sent_before(QuizAnswer, pupil.id, sent)
    if again is not None:
        return again
    attempts = 0 if baseline else db.session.scalar(select(func.count(QuizAnswer.id)).where(
        QuizAnswer.pupil_id == pupil.id, QuizAnswer.lesson_slug == lesson.slug,
        QuizAnswer.question_id == question_id, QuizAnswer.baseline.is_(False))) or 0
    row = QuizAnswer(school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=lesson.slug,
                     question_id=question_id, answer=marked.answer,
                     correct=marked.correct, misconception=marked.misconception,
                     attempt=0 if baseline else attempts + 1,
                     first_try=not baseline and attempts == 0, baseline=baseline,
                     client_token=sent or None)
    row = _add_once(row, sent)
    db.session.flush()
    return row


def next_after_question(lesson: Lesson, question_id: str) -> str:
    ids = [q.id for q in lesson.quiz.questions]
    i = ids.index(question_id)
    return f"quiz:{ids[i + 1]}" if i + 1 < len(ids) else "done"
