"""The pupil's path: next lesson and a step counter that never jumps (app/learn/path.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.content.loader import load_catalogue
from app.learn.path import counted_positions, main_route, next_lesson, step_bar

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
    pytest.skip("no fixture lesson with a branch step")


def test_branch_step_counted_only_when_on_it(catalogue):  # type: ignore[no-untyped-def]
    lesson = _branchy(catalogue)
    route = main_route(lesson)
    branch = next(s.id for s in lesson.steps if s.id not in route)
    off = step_bar(lesson, f"step:{route[0]}")
    assert off["total"] == len(counted_positions(lesson, f"step:{route[0]}")) - 1
    on = step_bar(lesson, f"step:{branch}")
    assert on["total"] == off["total"] + 1
    after = step_bar(lesson, "done", visited=[branch])
    assert after["total"] == on["total"] and after["index"] == after["total"]


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
