"""Learning at home on a slow or patchy connection: a lesson left part-way carries on on
any device, an answer sent twice (the connection dropped, a second tap) counts once, and
the pages a child or family opens stay under 100 KB of HTML, CSS and JavaScript."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import db
from app.models import Pupil, QuizAnswer, ScenarioChoice, User

from .helpers import csrf_from, sign_in, submit
from .test_home_cards import family_device, print_one

KS2 = "/learn/fixture-passwords"
SENT_RE = re.compile(r'name="sent" value="([^"]+)"')


def device(app):
    client = app.test_client()
    sign_in(client, "pupil")
    return client


def alex_rows(app, model):
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        return list(db.session.scalars(select(model).where(model.pupil_id == pupil.id)
                                       .order_by(model.id)))


def test_a_lesson_left_part_way_carries_on_on_another_device(app):
    school = device(app)
    submit(school, f"{KS2}/step/intro")
    submit(school, f"{KS2}/step/words")
    home = device(app)  # another browser: nothing shared but the account
    assert "Carry on where you left off" in home.get("/learn/").get_data(as_text=True)
    assert home.get(f"{KS2}/").location.endswith("/step/friend")
    assert "Step 3 of" in home.get(f"{KS2}/step/friend").get_data(as_text=True)


def post_twice(client, url: str, data: dict):
    """Post one page's form, then the very same form again, as a browser retrying does."""
    html = client.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "sent": SENT_RE.search(html).group(1), **data}
    return client.post(url, data=form), client.post(url, data=form)


def test_a_quiz_answer_sent_again_counts_once(app):
    c = device(app)
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    first, again = post_twice(c, f"{KS2}/quiz/best", {"answer": "b"})
    assert first.status_code == again.status_code == 302
    assert first.location == again.location  # the same answer's feedback
    answers = alex_rows(app, QuizAnswer)
    assert [(a.question_id, a.attempt, a.first_try) for a in answers] == [("best", 1, True)]
    # a real second try comes from a fresh page, and counts as the second
    submit(c, f"{KS2}/quiz/best", {"answer": "a"})
    assert [a.attempt for a in alex_rows(app, QuizAnswer)] == [1, 2]


def test_a_scenario_choice_sent_again_counts_once(app):
    c = device(app)
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    first, again = post_twice(c, f"{KS2}/step/friend", {"choice": "b"})
    assert first.location == again.location
    choices = alex_rows(app, ScenarioChoice)
    assert [(x.choice, x.first_try) for x in choices] == [("b", True)]


@pytest.mark.parametrize("sent", ["", "short", "x" * 40, "<script>alert(1)</script>xxxx"])
def test_an_odd_token_is_ignored_not_an_error(app, sent):
    c = device(app)
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    html = c.get(f"{KS2}/step/friend").get_data(as_text=True)
    for _ in range(2):
        response = c.post(f"{KS2}/step/friend", data={"csrf_token": csrf_from(html),
                                                      "sent": sent, "choice": "b"})
        assert response.status_code == 302
    assert len(alex_rows(app, ScenarioChoice)) == 2  # without a token each post is a try


def weight(client, url: str) -> int:
    """Bytes of the page's HTML plus every stylesheet and script it links (same origin)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data()
    total = len(html)
    text = html.decode()
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text) + \
        re.findall(r'<script src="([^"]+)"', text)
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    for asset in set(assets):
        got = client.get(asset)
        assert got.status_code == 200, asset
        total += len(got.get_data())
        got.close()
    return total


def test_pupil_and_family_pages_stay_under_100_kb(app, client):
    pupil = device(app)
    submit(pupil, f"{KS2}/step/intro")
    for url in ("/learn/", f"{KS2}/step/intro", f"{KS2}/step/words"):
        assert weight(pupil, url) < 100_000, url
    parent = app.test_client()
    sign_in(parent, "parent")
    for url in ("/family/", "/family/guides", "/family/guides/who-to-report-to",
                "/family/agreement", "/family/what-we-see"):
        assert weight(parent, url) < 100_000, url
    sign_in(client, "teacher2")
    family, _ = family_device(app, print_one(app, client, "Sam"))
    for url in ("/home", "/login/pictures"):
        assert weight(family, url) < 100_000, url
