"""The course as staff plan it: lessons by phase and year, strand coverage, the topic map,
and one lesson's teacher notes. Plain functions over the frozen catalogue; no HTTP, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..content.model import FOUR_CS, STRANDS, Catalogue, Lesson, Question
from ..content.phases import PHASES, Phase, phases_of, years_label

__all__ = ["phases_of", "years_label"]  # also imported from here by the views
from ..content.topics import Topic
from ..learn.quiz import right_answer

QUESTION_TYPE_NAMES = {
    "choice": "Multiple choice",
    "true_false": "True or false",
    "order": "Put in order",
    "sort": "Sort into groups",
    "explain": "Explain why (choose the reason)",
}


def is_upper_ks2_only(lesson: Lesson) -> bool:
    return lesson.band == "ks2" and set(lesson.years) <= {5, 6}


# --- the course overview --------------------------------------------------------------------


@dataclass(frozen=True)
class YearGroup:
    label: str  # "Years 3-4"
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class PhaseSection:
    phase: Phase
    groups: tuple[YearGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(g.lessons) for g in self.groups)


def course_plan(catalogue: Catalogue) -> list[PhaseSection]:
    """Every lesson by phase, then by the years it is for, in course order."""
    out = []
    for phase in PHASES:
        lessons = [x for x in catalogue.by_band[phase.band] if phase in phases_of(x)]
        groups: dict[tuple[int, ...], list[Lesson]] = {}
        for lesson in lessons:
            groups.setdefault(tuple(sorted(lesson.years)), []).append(lesson)
        out.append(PhaseSection(phase, tuple(
            YearGroup(years_label(ys), tuple(sorted(ls, key=lambda x: x.order)))
            for ys, ls in sorted(groups.items())
        )))
    return out


@dataclass(frozen=True)
class CoverageRow:
    id: str
    name: str
    counts: tuple[int, ...]  # lessons per phase, in PHASES order

    @property
    def has_gap(self) -> bool:
        return 0 in self.counts


@dataclass(frozen=True)
class Coverage:
    phases: tuple[Phase, ...]
    strands: tuple[CoverageRow, ...]
    four_cs: tuple[CoverageRow, ...]
    totals: tuple[int, ...]

    @property
    def gaps(self) -> list[tuple[str, str]]:
        """(strand name, phase name) for every strand a phase does not teach yet."""
        return [(row.name, phase.name) for row in self.strands
                for phase, n in zip(self.phases, row.counts, strict=True) if n == 0]


def coverage(catalogue: Catalogue) -> Coverage:
    """How many lessons teach each strand (and each of the 4 Cs) in each phase."""
    by_phase = [[x for x in catalogue.by_band[p.band] if p in phases_of(x)] for p in PHASES]

    def rows(vocab: dict[str, str], attr: str) -> tuple[CoverageRow, ...]:
        return tuple(
            CoverageRow(key, name, tuple(sum(key in getattr(x, attr) for x in lessons)
                                         for lessons in by_phase))
            for key, name in vocab.items()
        )

    return Coverage(PHASES, rows(STRANDS, "strands"), rows(FOUR_CS, "four_cs"),
                    tuple(len(lessons) for lessons in by_phase))


@dataclass(frozen=True)
class TopicRow:
    topic: Topic
    lessons: tuple[Lesson, ...]  # the mapped lessons that exist
    missing: tuple[str, ...]  # mapped slugs with no lesson (yet)


def topic_rows(catalogue: Catalogue, topics: Iterable[Topic]) -> list[TopicRow]:
    out = []
    for topic in topics:
        found = tuple(x for x in map(catalogue.lesson, topic.lessons) if x is not None)
        missing = tuple(s for s in topic.lessons if catalogue.lesson(s) is None)
        out.append(TopicRow(topic, found, missing))
    return out


# --- one lesson's teacher notes -------------------------------------------------------------


@dataclass(frozen=True)
class NotesQuestion:
    question: Question
    type_name: str
    answer: list[str]  # the right answer in words
    tags: tuple[str, ...]  # misconceptions a wrong answer reveals, in first-use order


def _question_tags(q: Question) -> tuple[str, ...]:
    tags = [o.misconception for o in q.options if not o.correct]
    tags += [i.misconception for i in q.sort_items]
    tags.append(q.misconception)
    return tuple(dict.fromkeys(t for t in tags if t))


def notes_questions(lesson: Lesson) -> list[NotesQuestion]:
    """The lesson's quiz with each question's right answer, as a teacher reads it."""
    return [NotesQuestion(q, QUESTION_TYPE_NAMES.get(q.type, q.type), right_answer(q),
                          _question_tags(q))
            for q in lesson.quiz.questions]
