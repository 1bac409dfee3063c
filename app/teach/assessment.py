""""I can" levels from first tries, and what a class needs next. Plain functions.

The rule is written out, with a worked example, in docs/assessment.md; the tests in
tests/test_assessment.py follow it line by line. Evidence is always the pupil's *first try*
at each quiz question and scenario after the teaching (never a retry, the shown answer or a
baseline check).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from ..content.model import Lesson
from ..db import db, utcnow
from ..models import LEVELS, LessonProgress, LevelOverride, Pupil, QuizAnswer, ScenarioChoice

SECURE_SCORE = 0.8
DEVELOPING_SCORE = 0.5
REPEATED_MISCONCEPTION = 2  # the same misconception on this many wrong first tries
STUCK_WRONG_IN_A_ROW = 3
STUCK_LEFT_FOR = timedelta(days=14)


@dataclass(frozen=True)
class Try:
    """One first try: at a quiz question ("q:<id>") or a scenario step ("s:<id>")."""

    item: str
    correct: bool
    misconception: str | None
    at: datetime
    answer: str = ""  # the option or choice key, for the most common wrong answers


@dataclass(frozen=True)
class Judgement:
    level: str | None  # None: not assessed yet
    misconception: str | None  # the tag, when level == "misconception"
    correct: int
    tried: int
    items: int

    @property
    def label(self) -> str:
        return LEVELS[self.level] if self.level else "Not yet assessed"


def items_for(lesson: Lesson, statement_id: str) -> list[str]:
    """The quiz questions and scenarios that give evidence for one statement, in lesson order."""
    out = [f"s:{s.id}" for s in lesson.scenarios if statement_id in lesson.statements_of(s)]
    out += [f"q:{q.id}" for q in lesson.quiz.questions
            if statement_id in lesson.statements_of(q)]
    return out


def judge(tries: Iterable[Try], items: list[str]) -> Judgement:
    """The level of one statement from the pupil's first tries at its items.

    1. No first try at any of its items: not assessed yet.
    2. The same misconception on two or more wrong first tries: shows that misconception.
    3. Score = right first tries / first tries. At least 80% with every item tried: secure.
    4. At least 50% (or 80% with items still to try): developing.
    5. Under 50%: shows a misconception if a wrong first try carries one (the most frequent,
       the earliest in the lesson on a tie), otherwise emerging.
    """
    wanted = set(items)
    mine = [t for t in tries if t.item in wanted]
    if not mine:
        return Judgement(None, None, 0, 0, len(items))
    right = sum(t.correct for t in mine)
    tags = Counter(t.misconception for t in mine if not t.correct and t.misconception)
    order = {item: i for i, item in enumerate(items)}
    first_seen: dict[str, int] = {}
    for t in sorted(mine, key=lambda t: order[t.item]):
        if not t.correct and t.misconception:
            first_seen.setdefault(t.misconception, order[t.item])
    top = min(tags, key=lambda tag: (-tags[tag], first_seen[tag])) if tags else None
    base = dict(correct=right, tried=len(mine), items=len(items))
    if top and tags[top] >= REPEATED_MISCONCEPTION:
        return Judgement("misconception", top, **base)
    score = right / len(mine)
    if score >= SECURE_SCORE and len(mine) == len(items):
        return Judgement("secure", None, **base)
    if score >= DEVELOPING_SCORE:
        return Judgement("developing", None, **base)
    if top:
        return Judgement("misconception", top, **base)
    return Judgement("emerging", None, **base)


def percent_of(right: int, tried: int) -> int | None:
    return round(100 * right / tried) if tried else None


def think(text: str) -> str:
    """A misconception for "9 of 28 ...": 'Thinks best friends can know passwords.' ->
    'think best friends can know passwords'; any other wording follows a colon."""
    text = text.strip().rstrip(".")
    for verb, plural in (("Thinks ", "think "), ("Believes ", "believe ")):
        if text.startswith(verb):
            return plural + text[len(verb):]
    return ": " + text if text else text


# --- loading a class's evidence in a fixed number of queries ----------------------------

@dataclass
class Evidence:
    """Everything a teacher page needs about some pupils, read in five queries."""

    progress: dict[int, dict[str, LessonProgress]] = field(default_factory=dict)
    tries: dict[int, dict[str, list[Try]]] = field(default_factory=dict)  # pupil -> lesson
    baseline: dict[int, dict[str, list[Try]]] = field(default_factory=dict)
    overrides: dict[tuple[int, str, str], LevelOverride] = field(default_factory=dict)
    history: dict[tuple[int, str, str], list[LevelOverride]] = field(default_factory=dict)

    def tries_for(self, pupil_id: int, slug: str) -> list[Try]:
        return self.tries.get(pupil_id, {}).get(slug, [])

    def baseline_for(self, pupil_id: int, slug: str) -> list[Try]:
        return self.baseline.get(pupil_id, {}).get(slug, [])


def _answer_key(stored: dict[str, Any] | None) -> str:
    if not isinstance(stored, dict):
        return ""
    if "option" in stored:
        return str(stored["option"])
    if "answer" in stored:
        return "true" if stored["answer"] else "false"
    return ""


def _add_quiz_tries(ev: Evidence, rows: Iterable[Any], with_answers: bool) -> None:
    """First tries into ``ev.tries``, baseline answers (the first to each question) apart."""
    for r in rows:
        t = Try(f"q:{r.question_id}", r.correct, r.misconception, r.created_at,
                _answer_key(r.answer) if with_answers else "")
        target = ev.baseline if r.baseline else ev.tries
        bucket = target.setdefault(r.pupil_id, {}).setdefault(r.lesson_slug, [])
        if r.baseline and any(x.item == t.item for x in bucket):
            continue  # a baseline counts its first answer to each question only
        bucket.append(t)


def load_evidence(pupil_ids: list[int], slugs: Iterable[str] | None = None,
                  with_answers: bool = False) -> Evidence:
    """Progress, first tries, baseline answers and overrides for these pupils (five queries,
    none when there are no pupils). ``slugs`` narrows to some lessons."""
    ev = Evidence()
    if not pupil_ids:
        return ev
    slug_list = list(slugs) if slugs is not None else None

    def narrow(query: Any, column: InstrumentedAttribute[str]) -> Any:  # any select()
        return query.where(column.in_(slug_list)) if slug_list is not None else query

    for row in db.session.scalars(narrow(select(LessonProgress).where(
            LessonProgress.pupil_id.in_(pupil_ids)), LessonProgress.lesson_slug)):
        ev.progress.setdefault(row.pupil_id, {})[row.lesson_slug] = row
    cols: list[Any] = [QuizAnswer.pupil_id, QuizAnswer.lesson_slug, QuizAnswer.question_id,
            QuizAnswer.correct, QuizAnswer.misconception, QuizAnswer.created_at,
            QuizAnswer.baseline]
    if with_answers:
        cols.append(QuizAnswer.answer)
    query = select(*cols).where(QuizAnswer.pupil_id.in_(pupil_ids),
                                or_(QuizAnswer.first_try, QuizAnswer.baseline))
    _add_quiz_tries(ev, db.session.execute(
        narrow(query, QuizAnswer.lesson_slug).order_by(QuizAnswer.id)), with_answers)
    choices = select(
                   ScenarioChoice.pupil_id, ScenarioChoice.lesson_slug, ScenarioChoice.step_id,
                   ScenarioChoice.safe, ScenarioChoice.misconception, ScenarioChoice.created_at,
                   ScenarioChoice.choice).where(ScenarioChoice.pupil_id.in_(pupil_ids),
                                                ScenarioChoice.first_try)
    for r in db.session.execute(narrow(choices, ScenarioChoice.lesson_slug)):
        ev.tries.setdefault(r.pupil_id, {}).setdefault(r.lesson_slug, []).append(
            Try(f"s:{r.step_id}", r.safe, r.misconception, r.created_at, r.choice))
    for per_lesson in ev.tries.values():
        for tries in per_lesson.values():
            tries.sort(key=lambda t: t.at)
    overrides = select(LevelOverride).where(LevelOverride.pupil_id.in_(pupil_ids))
    for o in db.session.scalars(narrow(overrides, LevelOverride.lesson_slug)
                                .order_by(LevelOverride.id)):
        key = (o.pupil_id, o.lesson_slug, o.statement_id)
        ev.overrides[key] = o  # the latest counts
        ev.history.setdefault(key, []).append(o)
    return ev


def valid_tries(lesson: Lesson, tries: list[Try]) -> list[Try]:
    """Only tries at items the lesson still has (content can change after answers)."""
    known = {f"q:{q.id}" for q in lesson.quiz.questions} | {f"s:{s.id}" for s in
                                                              lesson.scenarios}
    return [t for t in tries if t.item in known]


@dataclass(frozen=True)
class StatementLevel:
    statement_id: str
    text: str
    derived: Judgement
    override: LevelOverride | None

    @property
    def level(self) -> str | None:
        """What counts: the teacher's override where there is one, else the derived level."""
        return self.override.level if self.override else self.derived.level


def statement_levels(lesson: Lesson, pupil_id: int, ev: Evidence) -> list[StatementLevel]:
    tries = valid_tries(lesson, ev.tries_for(pupil_id, lesson.slug))
    return [StatementLevel(s.id, s.text, judge(tries, items_for(lesson, s.id)),
                           ev.overrides.get((pupil_id, lesson.slug, s.id)))
            for s in lesson.i_can]


def stuck_reasons(recent: list[bool], progress: dict[str, LessonProgress],
                  lessons: dict[str, Lesson], now: datetime | None = None) -> list[str]:
    """Why a pupil seems stuck with their learning (never anything to do with worries).

    ``recent``: whether each of their latest first tries was right, newest first;
    ``progress``: their progress rows by lesson slug (``updated_at`` may be None where it
    is known not to matter)."""
    now = now or utcnow()
    reasons = []
    last = recent[:STUCK_WRONG_IN_A_ROW]
    if len(last) == STUCK_WRONG_IN_A_ROW and not any(last):
        reasons.append(f"their last {STUCK_WRONG_IN_A_ROW} first tries were all wrong")
    for slug, row in progress.items():
        if slug in lessons and row.completed_at is None and row.updated_at is not None \
                and now - row.updated_at >= STUCK_LEFT_FOR:
            days = (now - row.updated_at).days
            reasons.append(f"started \u201c{lessons[slug].title}\u201d and left it {days} days "
                           "ago")
    return reasons


def recent_of(ev: Evidence, pupil_id: int, lessons: dict[str, Lesson]) -> list[bool]:
    """A pupil's first tries in these lessons, newest first, right or wrong."""
    tries = sorted((t for slug, ts in ev.tries.get(pupil_id, {}).items() if slug in lessons
                    for t in valid_tries(lessons[slug], ts)), key=lambda t: t.at, reverse=True)
    return [t.correct for t in tries]


# --- the class grid: counts from the database, not every answer -------------------------

@dataclass
class GridEvidence:
    progress: dict[int, dict[str, Any]] = field(default_factory=dict)  # rows by pupil, slug
    scores: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    recent: dict[int, list[bool]] = field(default_factory=dict)  # newest first, at most 3


def load_grid(school_class_id: int, lessons: list[Lesson]) -> GridEvidence:
    """What the class grid needs for the class's pupils (two queries): progress, first-try
    right/tried per pupil and lesson, and each pupil's latest first tries for the "seems
    stuck" flag. The pupils are a subquery, not a list of ids, so the statements stay the
    same whatever the class size."""
    ev = GridEvidence()
    pupils = select(Pupil.id).where(Pupil.class_id == school_class_id,
                                    Pupil.status == "active").scalar_subquery()
    # Dates are read only where they matter (a lesson left unfinished for long): turning
    # stored text into datetimes for every cell was most of this page's time.
    stale = and_(LessonProgress.completed_at.is_(None),
                 LessonProgress.updated_at <= utcnow() - STUCK_LEFT_FOR)
    for row in db.session.execute(select(
            LessonProgress.pupil_id, LessonProgress.lesson_slug, LessonProgress.step_reached,
            case((LessonProgress.completed_at.is_not(None), 1)).label("completed_at"),
            case((stale, LessonProgress.updated_at)).label("updated_at")).where(
            LessonProgress.pupil_id.in_(pupils))):
        ev.progress.setdefault(row.pupil_id, {})[row.lesson_slug] = row
    # Every first try of the class, newest first, in one statement: only ids and right or
    # wrong are read (no dates, no answers), so Python counts them faster than three
    # grouped queries could. Tries at items a lesson no longer has are skipped.
    known = {(x.slug, f"q:{q.id}") for x in lessons for q in x.quiz.questions} | {
        (x.slug, f"s:{st.id}") for x in lessons for st in x.scenarios}
    both = union_all(
        select(QuizAnswer.pupil_id.label("pid"), QuizAnswer.lesson_slug.label("slug"),
               literal("q:").label("kind"), QuizAnswer.question_id.label("item"),
               QuizAnswer.correct.label("ok"), QuizAnswer.created_at.label("at"),
               QuizAnswer.id.label("n")).where(QuizAnswer.pupil_id.in_(pupils),
                                               QuizAnswer.first_try),
        select(ScenarioChoice.pupil_id, ScenarioChoice.lesson_slug, literal("s:"),
               ScenarioChoice.step_id, ScenarioChoice.safe, ScenarioChoice.created_at,
               ScenarioChoice.id).where(ScenarioChoice.pupil_id.in_(pupils),
                                        ScenarioChoice.first_try)).subquery()
    scores = ev.scores
    for pid, slug, kind, item, ok in db.session.execute(
            select(both.c.pid, both.c.slug, both.c.kind, both.c.item, both.c.ok).order_by(
                both.c.pid, both.c.at.desc(), both.c.n.desc())):
        if (slug, kind + item) not in known:
            continue
        right, tried = scores.get((pid, slug), (0, 0))
        scores[(pid, slug)] = (right + bool(ok), tried + 1)
        mine = ev.recent.setdefault(pid, [])
        if len(mine) < STUCK_WRONG_IN_A_ROW:
            mine.append(bool(ok))
    return ev


# --- one lesson across a class -----------------------------------------------------------

@dataclass(frozen=True)
class ItemDifficulty:
    item: str
    label: str  # "Quiz 2: prompt" or "Scenario: title"
    right: int
    tried: int
    common_wrong: str  # the most common wrong answer, in words
    common_wrong_count: int

    @property
    def percent(self) -> int | None:
        return percent_of(self.right, self.tried)


@dataclass(frozen=True)
class HeldMisconception:
    tag: str
    text: str  # "think ..." in plain words
    pupils: list[Pupil]
    tried: int  # pupils with any first try in the lesson
    reteach: str


@dataclass(frozen=True)
class LessonReport:
    lesson: Lesson
    pupils: list[Pupil]
    levels: dict[int, list[StatementLevel]]
    scores: dict[int, tuple[int, int]]  # pupil -> (right, tried) over first tries
    baseline: dict[int, tuple[int, int]]
    hardest: list[ItemDifficulty]
    misconceptions: list[HeldMisconception]
    counts: dict[str, dict[str | None, int]]  # statement -> level -> pupils

    @property
    def tried(self) -> int:
        return sum(1 for _, t in self.scores.values() if t)


def _item_label(lesson: Lesson, item: str) -> str:
    kind, _, ident = item.partition(":")
    if kind == "s":
        step = lesson.step(ident)
        return f"Scenario: {step.title}" if step else ident
    q = lesson.quiz.question(ident)
    return f"Quiz {q.index + 1}: {q.prompt}" if q else ident


def _answer_text(lesson: Lesson, item: str, key: str) -> str:
    kind, _, ident = item.partition(":")
    if kind == "s":
        step = lesson.step(ident)
        choice = step.choice(key) if step else None
        return choice.text if choice else ""
    q = lesson.quiz.question(ident)
    if q is None:
        return ""
    if q.type in ("choice", "explain"):
        return next((o.text for o in q.options if o.key == key), "")
    if q.type == "true_false" and key in ("true", "false"):
        return key.capitalize()
    return "a wrong order" if q.type == "order" else "a wrong group" if q.type == "sort" else ""


def lesson_report(lesson: Lesson, pupils: list[Pupil], ev: Evidence) -> LessonReport:
    """Levels per pupil, the hardest items, and the misconceptions the class holds."""
    items = [f"s:{s.id}" for s in lesson.scenarios] + [f"q:{q.id}" for q in
                                                       lesson.quiz.questions]
    levels, scores, baseline = {}, {}, {}
    per_item: dict[str, list[Try]] = defaultdict(list)
    holders: dict[str, list[Pupil]] = defaultdict(list)
    for p in pupils:
        tries = valid_tries(lesson, ev.tries_for(p.id, lesson.slug))
        levels[p.id] = statement_levels(lesson, p.id, ev)
        scores[p.id] = (sum(t.correct for t in tries), len(tries))
        base = valid_tries(lesson, ev.baseline_for(p.id, lesson.slug))
        baseline[p.id] = (sum(t.correct for t in base), len(base))
        for t in tries:
            per_item[t.item].append(t)
        for tag in dict.fromkeys(t.misconception for t in tries
                                 if not t.correct and t.misconception):
            holders[tag].append(p)
    hardest = []
    for item in items:
        tries = per_item.get(item, [])
        if not tries:
            continue
        wrong = Counter(t.answer for t in tries if not t.correct and t.answer)
        key, n = wrong.most_common(1)[0] if wrong else ("", 0)
        hardest.append(ItemDifficulty(item, _item_label(lesson, item),
                                      sum(t.correct for t in tries), len(tries),
                                      _answer_text(lesson, item, key) if key else "", n))
    hardest.sort(key=lambda d: (d.right / d.tried, -d.tried, items.index(d.item)))
    tried = sum(1 for _, t in scores.values() if t)
    held = [HeldMisconception(tag, think(lesson.misconception_text(tag)), ps, tried,
                              lesson.teacher_notes.reteach_idea(tag))
            for tag, ps in holders.items() if lesson.misconception_text(tag)]
    order = [t for t, _ in lesson.misconceptions]
    held.sort(key=lambda h: (-len(h.pupils), order.index(h.tag) if h.tag in order else 99))
    counts: dict[str, dict[str | None, int]] = {}
    for s in lesson.i_can:
        c: dict[str | None, int] = {k: 0 for k in [*LEVELS, None]}
        for p in pupils:
            lv = next(x for x in levels[p.id] if x.statement_id == s.id).level
            c[lv] += 1
        counts[s.id] = c
    return LessonReport(lesson, pupils, levels, scores, baseline, hardest, held, counts)
