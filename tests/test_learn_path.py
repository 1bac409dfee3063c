"""The pupil's path: next lesson and a step counter that never jumps (app/learn/path.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.content.loader import load_catalogue
from app.learn.path import main_route, next_lesson, step_bar

FIXTURES = Path(__file__).parent / "fixtures" / "content"
COURSE = Path(__file__).parent.parent  # the real course: lessons/ and quizzes/ at the root


@pytest.fixture(scope="module", params=[FIXTURES, COURSE], ids=["fixtures", "course"])
def catalogue(request):  # type: ignore[no-untyped-def]
    return load_catalogue(request.param)


def _branchy(catalogue):  # type: ignore[no-untyped-def]
    for lesson in catalogue.lessons.values():
        route = set(main_route(lesson))
        if any(s.id not in route for s in lesson.steps):
            return lesson
    raise AssertionError("no lesson with a branch step")


def test_a_branch_step_neither_jumps_ahead_nor_back():  # type: ignore[no-untyped-def]
    """Over the real course (the fixture lessons have no branch step).
    A pupil who takes a weak choice sees the same total, and on the branch step the number
    of the step they branched from; the next main step is one on."""
    lesson = _branchy(load_catalogue(COURSE))
    route = main_route(lesson)
    ids = [s.id for s in lesson.steps]
    branch = next(s for s in ids if s not in route)
    parent = [r for r in route if ids.index(r) < ids.index(branch)][-1]
    at_parent = step_bar(lesson, f"step:{parent}")
    on = step_bar(lesson, f"step:{branch}")
    assert on["total"] == at_parent["total"] == step_bar(lesson, "done")["total"]
    assert on["index"] == at_parent["index"]
    following = route[route.index(parent) + 1] if parent != route[-1] else None
    if following:
        assert step_bar(lesson, f"step:{following}")["index"] == on["index"] + 1
    assert step_bar(lesson, "done")["index"] == on["total"]


def test_counter_never_goes_backwards_on_main_route(catalogue):  # type: ignore[no-untyped-def]
    for lesson in catalogue.lessons.values():
        route = main_route(lesson)
        seen = [step_bar(lesson, f"step:{s}")["index"] for s in route]
        assert seen == sorted(seen)
        assert len({step_bar(lesson, f"step:{s}")["total"] for s in route}) == 1


def test_next_lesson_skips_finished_and_held_back(catalogue):  # type: ignore[no-untyped-def]
    lessons = sorted(catalogue.lessons.values(), key=lambda x: x.order)
    year = next(y for x in lessons for y in x.years)
    mine = [x for x in lessons if not x.years or year in x.years]
    assert next_lesson(lessons, year, set()) == mine[0]
    if len(mine) > 1:
        assert next_lesson(lessons, year, {mine[0].slug}) == mine[1]
        assert next_lesson(lessons, year, set(), held_back={mine[0].slug}) == mine[1]
    assert next_lesson(lessons, year, {x.slug for x in lessons}) is None


def test_pupil_home_shows_next_for_you_after_set_work(client):  # type: ignore[no-untyped-def]
    from .helpers import real_page, sign_in

    sign_in(client, "pupil")
    response = client.get("/learn/")
    assert response.status_code == 200
    html = real_page(response, "Next for you")
    if "Set by your teacher" in html:
        assert html.index("Set by your teacher") < html.index("Next for you")


def test_journey_groups_every_lesson_once_by_theme_in_course_order(catalogue):  # type: ignore[no-untyped-def]
    from dataclasses import dataclass

    from app.content.model import STRANDS
    from app.learn.path import journey

    @dataclass(frozen=True)
    class Card:
        lesson: object

    lessons = sorted(catalogue.lessons.values(), key=lambda x: x.order)
    stages = journey([Card(x) for x in lessons])
    stops = [c.lesson for s in stages for c in s.stops]
    assert sorted(x.slug for x in stops) == sorted(x.slug for x in lessons)  # each once
    known = [s.strand for s in stages if s.strand in STRANDS]
    assert known == [s for s in STRANDS if s in known]  # themes in the framework's order
    for stage in stages:
        assert [c.lesson.order for c in stage.stops] == sorted(c.lesson.order for c in stage.stops)
        assert all(stage.strand in c.lesson.strands or stage.strand == "other"
                   for c in stage.stops)


def test_pupil_home_is_a_journey_with_badges(client):  # type: ignore[no-untyped-def]
    from .helpers import real_page, sign_in

    sign_in(client, "pupil")
    html = real_page(client.get("/learn/"), "My journey")
    assert html.count('class="journey-stage"') >= 1 and "badges</span>" in html
