"""A pupil's path: the next lesson for them, and a step counter that follows the route they are on.

Pure functions (no database): the views pass in what they already loaded.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from app.content.lessonfile import following
from app.content.model import STRANDS, Lesson, Step


class HasLesson(Protocol):
    @property
    def lesson(self) -> Lesson: ...


C = TypeVar("C", bound=HasLesson)


@dataclass(frozen=True)
class Stage(Generic[C]):
    """One theme of the journey map: its lessons (cards) in course order."""
    strand: str
    title: str
    stops: tuple[C, ...]


def journey(cards: Sequence[C]) -> list[Stage[C]]:
    """The pupil's lessons grouped by theme (each lesson's first strand), themes in the order
    of the framework's strands, lessons in course order within each: a journey, not a list."""
    by_strand: dict[str, list[C]] = {}
    for card in cards:
        strand = next((s for s in card.lesson.strands if s in STRANDS), "other")
        by_strand.setdefault(strand, []).append(card)
    order = [*STRANDS, "other"]
    return [Stage(s, STRANDS.get(s, "More lessons"), tuple(by_strand[s]))
            for s in order if s in by_strand]


def next_lesson(lessons: Sequence[Lesson], year_group: int, finished: Collection[str],
                held_back: Collection[str] = ()) -> Lesson | None:
    """The first lesson, in course order (the order of ``lessons``), for the pupil's year that
    they have not finished and that is not held back; failing that, the first such lesson of an
    earlier year. ``lessons`` is the list the pupil may already see (release rules applied by
    the caller), so nothing hidden is ever suggested."""
    open_ = [x for x in lessons if x.slug not in finished and x.slug not in held_back]
    mine = next((x for x in open_ if not x.years or year_group in x.years), None)
    return mine or next(iter(open_), None)


def _onward(lesson: Lesson, step: Step) -> str:
    """Where a pupil goes on the main route: a story's next step, a scenario's first safe choice."""
    if step.type == "story":
        return step.next or following(lesson.steps, step)
    safe = next((c for c in step.choices if c.safe), None)
    if safe is None:
        return following(lesson.steps, step)
    return safe.next or following(lesson.steps, step)


def main_route(lesson: Lesson) -> list[str]:
    """The step ids passed when every scenario is answered with a safe choice."""
    route: list[str] = []
    step = lesson.steps[0] if lesson.steps else None
    while step is not None and step.id not in route:
        route.append(step.id)
        step = lesson.step(_onward(lesson, step))
    return route


def counted_positions(lesson: Lesson, position: str, visited: Iterable[str] = ()) -> list[str]:
    """The positions counted for a pupil: the main route, plus any branch step (reached only
    through a weak choice) that they are on now or have been on, in file order; then the quiz."""
    on = set(main_route(lesson)) | set(visited)
    if position.startswith("step:"):
        on.add(position.removeprefix("step:"))
    steps = [f"step:{s.id}" for s in lesson.steps if s.id in on]
    rest = [p for p in lesson.positions if not p.startswith("step:")]
    return steps + rest


def step_bar(lesson: Lesson, position: str, visited: Iterable[str] = ()) -> dict[str, int]:
    """"Step N of M" that never jumps: M counts the main route and the quiz, whatever branch
    the pupil takes; a branch step (reached only through a weak choice) shows the number of
    the step it branched from, so the count neither leaps ahead nor goes back."""
    counted = counted_positions(lesson, "", ())
    if position in counted:
        index = counted.index(position)
    else:
        index = counted.index(_branched_from(lesson, position, counted))
    total = len(counted) - 1
    return {"index": index, "total": total, "percent": round(100 * index / max(1, total))}


def _branched_from(lesson: Lesson, position: str, counted: list[str]) -> str:
    """The counted step a branch step hangs from: the last counted step before it in the
    lesson file (branches are written after the scenario that leads to them)."""
    ids = [s.id for s in lesson.steps]
    here = position.removeprefix("step:")
    before = ids[:ids.index(here)] if here in ids else []
    earlier = [p for p in counted if p.removeprefix("step:") in before]
    return earlier[-1] if earlier else counted[0]
