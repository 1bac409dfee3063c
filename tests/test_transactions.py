"""One commit per request: a failure after the first write of a request leaves nothing stored.

Services add and flush; the view commits once. Here the database refuses the second write of
a pupil's answer (the progress row that opens the next question) and the HTTP client sees the
friendly error page; the answer written a moment before must not be in the database either.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.db import db
from app.models import LessonProgress, Pupil, QuizAnswer, ScenarioChoice, User

from .helpers import redirected, sign_in, submit

KS2 = "/learn/fixture-passwords"


class Injected(RuntimeError):
    pass


def _refuse_progress_update(mapper, connection, target) -> None:
    raise Injected("the database refused the second write of this request")


def _to_scenario(c) -> None:
    assert submit(c, f"{KS2}/step/intro").location.endswith("/step/words")
    assert submit(c, f"{KS2}/step/words").location.endswith("/step/friend")


def _to_quiz(c) -> None:
    _to_scenario(c)
    redirected(submit(c, f"{KS2}/step/friend", {"choice": "a"}), f"{KS2}/step/friend?chose=a")
    assert submit(c, f"{KS2}/step/end").location.endswith("/quiz/best")


def _alex_rows(app, model) -> list:
    with app.app_context():
        pupil_id = db.session.scalar(select(Pupil.id).join(User).where(User.username == "pupil"))
        return list(db.session.scalars(select(model).where(model.pupil_id == pupil_id)))


@pytest.mark.parametrize(("walk", "url", "data", "model", "then"), [
    (_to_quiz, f"{KS2}/quiz/best", {"answer": "a"}, QuizAnswer, f"{KS2}/quiz/best?answer=<id>"),
    (_to_scenario, f"{KS2}/step/friend", {"choice": "a"}, ScenarioChoice,
     f"{KS2}/step/friend?chose=a"),
], ids=["quiz-answer", "scenario-choice"])
def test_a_failure_after_the_first_write_stores_nothing(app, client, walk, url, data, model,
                                                        then):
    sign_in(client, "pupil")
    walk(client)
    [before] = _alex_rows(app, LessonProgress)
    reached, current = before.step_reached, before.current
    written_before = len(_alex_rows(app, model))
    page = client.get(url)
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)

    app.config["PROPAGATE_EXCEPTIONS"] = False  # the pupil sees our error page, as in service
    event.listen(LessonProgress, "before_update", _refuse_progress_update)
    try:
        response = submit(client, url, data)
    finally:
        event.remove(LessonProgress, "before_update", _refuse_progress_update)

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.get_data(as_text=True)
    assert len(_alex_rows(app, model)) == written_before  # the first write was undone too
    [after] = _alex_rows(app, LessonProgress)
    assert (after.step_reached, after.current) == (reached, current)

    # Nothing half-written is in the way: the same post works once the database is well.
    retry = submit(client, url, data)
    redirected(retry, then)
    assert len(_alex_rows(app, model)) == written_before + 1
    [moved_on] = _alex_rows(app, LessonProgress)
    assert moved_on.step_reached > reached
