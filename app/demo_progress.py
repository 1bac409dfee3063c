"""Believable learning for the demo classes, so every teacher report has something in it.

Each demo pupil (except the two sign-in demo accounts, Alex and Sam, who start fresh for people
trying the site) has worked through the first lessons of their key stage over the last weeks:
most finished, one left a lesson half done, and their first tries are right or wrong by a
steady per-pupil rate, with the wrong ones leaning to one misconception per lesson so the
class reports show a pattern to teach to. Some work is set, a baseline check was taken and a
teacher made one judgement. Deterministic, and idempotent: a class that already has set work
from the demo is left as it is.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .content.model import Lesson, Question
from .db import db, utcnow
from .extensions import catalogue as current_catalogue
from .learn.quiz import mark

if TYPE_CHECKING:
    from .demo import DemoSummary
from .models import (
    Assignment,
    LessonProgress,
    LevelOverride,
    Pupil,
    PupilGroup,
    PupilGroupMember,
    QuizAnswer,
    ScenarioChoice,
    SchoolClass,
    User,
)

FRESH = {("Alex", "P"), ("Sam", "K")}  # the accounts people sign in with start with nothing
LESSONS_TAUGHT = {"ks1": 4, "ks2": 5}
DEMO_NOTE = "We will talk about this together on Friday."


def _rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest())


def _form(question: Question, correct: bool, lean: str | None,
          rng: random.Random) -> dict[str, str]:
    """Form fields for a right or a wrong answer (wrong ones lean to one misconception)."""
    if question.type in ("choice", "explain"):
        if correct:
            return {"answer": next(o.key for o in question.options if o.correct)}
        wrong = [o for o in question.options if not o.correct]
        leaning = [o for o in wrong if o.misconception == lean]
        return {"answer": (leaning[0] if leaning and rng.random() < .75 else rng.choice(wrong)).key}
    if question.type == "true_false":
        return {"answer": "true" if question.answer == correct else "false"}
    if question.type == "order":
        n = len(question.items)
        order = list(range(n)) if correct else [1, 0, *range(2, n)]
        return {f"pos-{item}": str(rank + 1) for rank, item in enumerate(order)}
    groups = [g.id for g in question.groups]
    out = {f"item-{i.key}": i.group for i in question.sort_items}
    if not correct:
        item = question.sort_items[0]
        out[f"item-{item.key}"] = next(g for g in groups if g != item.group)
    return out


def _lean(lesson: Lesson) -> str | None:
    return lesson.misconceptions[0][0] if lesson.misconceptions else None


def _do_lesson(pupil: Pupil, lesson: Lesson, ability: float, when: datetime, finish: bool,
               rng: random.Random) -> None:
    lean = _lean(lesson)
    rows: list[object] = []
    t = when
    steps_done = lesson.steps if finish else lesson.steps[: max(1, len(lesson.steps) // 2 + 1)]
    for step in steps_done:
        t += timedelta(minutes=2)
        if step.type != "scenario":
            continue
        safe = [c for c in step.choices if c.safe]
        unsafe = [c for c in step.choices if not c.safe]
        if rng.random() < ability or not unsafe:
            picks = [safe[0]]
        else:
            leaning = [c for c in unsafe if c.misconception == lean]
            picks = [leaning[0] if leaning and rng.random() < .75 else rng.choice(unsafe),
                     safe[0]]
        for i, choice in enumerate(picks):
            rows.append(ScenarioChoice(school_id=pupil.school_id, pupil_id=pupil.id,
                                       lesson_slug=lesson.slug, step_id=step.id,
                                       choice=choice.key, safe=choice.safe,
                                       misconception=choice.misconception, first_try=i == 0,
                                       created_at=t))
    if finish:
        for question in lesson.quiz.questions:
            t += timedelta(minutes=1)
            right = rng.random() < ability
            tries = [right] if right else [False, True]
            for attempt, ok in enumerate(tries, start=1):
                marked = mark(question, _form(question, ok, lean, rng))
                rows.append(QuizAnswer(
                    school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=lesson.slug,
                    question_id=question.id, answer=marked.answer,
                    correct=marked.correct, misconception=marked.misconception, attempt=attempt,
                    first_try=attempt == 1, created_at=t))
    position = "done" if finish else f"step:{steps_done[-1].id}"
    rows.append(LessonProgress(
        school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=lesson.slug,
        step_reached=lesson.total_positions if finish else lesson.position_index(position),
        current=position, started_at=when, updated_at=t, completed_at=t if finish else None))
    db.session.add_all(rows)


def _baseline(pupil: Pupil, lesson: Lesson, ability: float, when: datetime,
              rng: random.Random) -> None:
    for question in lesson.quiz.questions:
        marked = mark(question, _form(question, rng.random() < ability * .6, _lean(lesson), rng))
        db.session.add(QuizAnswer(
            school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=lesson.slug,
            question_id=question.id, answer=marked.answer,
            correct=marked.correct, misconception=marked.misconception, attempt=0,
            baseline=True, created_at=when))


def seed_progress(summary: DemoSummary | None = None) -> int:
    """Give the demo classes their learning and set work; returns the rows added."""
    from .demo import PUPILS, SCHOOL, STAFF

    catalogue = current_catalogue()
    now = utcnow()
    added = 0
    teachers = {taught: username for username, _, _, _, taught, _ in STAFF if taught}
    for class_name in PUPILS:
        school_class = db.session.scalar(select(SchoolClass).join(
            SchoolClass.school).where(SchoolClass.name == class_name,
                                      SchoolClass.school.has(slug=SCHOOL[1])))
        teacher = db.session.scalar(select(User).where(User.username == teachers[class_name]))
        if school_class is None or teacher is None:
            continue
        if db.session.scalar(select(func.count(Assignment.id)).where(
                Assignment.class_id == school_class.id)):
            continue  # seeded before (or the school has set its own work): leave it
        lessons = [x for x in catalogue.by_band[school_class.band]
                   if x.visible_to_year(school_class.year_group)]
        if not lessons:
            continue
        taught = lessons[: min(LESSONS_TAUGHT[school_class.band], len(lessons))]
        nxt = lessons[len(taught)] if len(lessons) > len(taught) else taught[-1]
        pupils = list(db.session.scalars(select(Pupil).where(
            Pupil.class_id == school_class.id).order_by(Pupil.id)))
        working = [p for p in pupils if (p.first_name, p.surname_initial) not in FRESH]
        added += _seed_learning(class_name, working, taught, nxt, now)
        db.session.flush()
        added += _seed_class_work(school_class, teacher, working, taught, nxt, now)
    if summary is not None:
        summary.created += added
    return added


def _seed_learning(class_name: str, working: list[Pupil], taught: list[Lesson], nxt: Lesson,
                   now: datetime) -> int:
    """Lessons done (one left half-way, one not started) and a baseline for some pupils."""
    added = 0
    for n, pupil in enumerate(working):
        if db.session.scalar(select(func.count(LessonProgress.id)).where(
                LessonProgress.pupil_id == pupil.id)):
            continue
        rng = _rng(class_name, pupil.first_name, pupil.surname_initial)
        ability = [0.92, 0.55, 0.8, 0.35, 0.7, 0.85, 0.6][n % 7]
        for i, lesson in enumerate(taught):
            when = now - timedelta(days=7 * (len(taught) - i) + 3, hours=n)
            last = i == len(taught) - 1
            if last and n == 3:
                _do_lesson(pupil, lesson, ability, when - timedelta(days=10), False, rng)
            elif last and n == 5:
                continue  # not started the latest lesson yet
            else:
                _do_lesson(pupil, lesson, ability, when, True, rng)
            added += 1
        if n < 4:
            _baseline(pupil, nxt, ability, now - timedelta(days=2), rng)
            added += 1
    return added


def _seed_class_work(school_class: SchoolClass, teacher: User, working: list[Pupil],
                     taught: list[Lesson], nxt: Lesson, now: datetime) -> int:
    """Set work (a lesson, a baseline, a revisit group) and one teacher judgement."""
    lean = _lean(taught[-1])
    holders = [pid for (pid,) in db.session.execute(
        select(QuizAnswer.pupil_id).where(
            QuizAnswer.pupil_id.in_([p.id for p in working]),
            QuizAnswer.lesson_slug == taught[-1].slug, QuizAnswer.first_try,
            QuizAnswer.misconception == lean).distinct())] if lean else []
    today = now.date()
    db.session.add(Assignment(
        school_id=school_class.school_id, class_id=school_class.id,
        lesson_slug=taught[-1].slug, kind="lesson", target="class",
        starts_on=today - timedelta(days=10), due_on=today - timedelta(days=3),
        note="Finish this before our class discussion.", set_by_id=teacher.id,
        created_at=now - timedelta(days=10)))
    db.session.add(Assignment(
        school_id=school_class.school_id, class_id=school_class.id, lesson_slug=nxt.slug,
        kind="baseline", target="class", starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=2), note="A quick check before we start the lesson.",
        set_by_id=teacher.id, created_at=now - timedelta(days=3)))
    added = 2
    if holders:
        added += _seed_revisit_group(school_class, teacher, holders, taught[-1], now)
    if working and taught[0].i_can:
        db.session.add(LevelOverride(
            school_id=school_class.school_id, pupil_id=working[1 % len(working)].id,
            lesson_slug=taught[0].slug, statement_id=taught[0].i_can[0].id,
            level="secure", note="Explained it clearly to the class in our discussion.",
            set_by_id=teacher.id, created_at=now - timedelta(days=5)))
        added += 1
    return added


def _seed_revisit_group(school_class: SchoolClass, teacher: User, holders: list[int],
                        lesson: Lesson, now: datetime) -> int:
    group = PupilGroup(school_id=school_class.school_id, class_id=school_class.id,
                       name=f"Revisit: {lesson.title}"[:60], created_by_id=teacher.id)
    db.session.add(group)
    db.session.flush()
    db.session.add_all(PupilGroupMember(group_id=group.id, pupil_id=pid) for pid in holders)
    db.session.add(Assignment(
        school_id=school_class.school_id, class_id=school_class.id,
        lesson_slug=lesson.slug, kind="lesson", target="group", group_id=group.id,
        due_on=now.date() + timedelta(days=7), note=DEMO_NOTE, set_by_id=teacher.id,
        created_at=now - timedelta(days=1)))
    return 2
