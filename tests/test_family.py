"""Families see their own child's progress and the tips for what their child has learned;
never another child, never answers, never worries.

The app fixture runs on the small fixture course: one KS2 lesson (fixture-passwords), so the
demo parent's child, Alex P. (Year 5), has one lesson.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.auth.service import hash_password
from app.db import db, utcnow
from app.models import (
    LessonProgress,
    ParentLink,
    Pupil,
    QuizAnswer,
    School,
    User,
    Worry,
)

from .helpers import csrf_from, sign_in

TIP = "Make a family password together from three random words."


def text(client) -> str:
    response = client.get("/family/")
    assert response.status_code == 200
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def alex() -> Pupil:
    return db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))


def new_parent(username: str, school_id: int) -> User:
    """A parent account with no link yet (inside an app context; flushed, not committed)."""
    user = User(school_id=school_id, kind="parent", username=username,
                display_name="A parent", password_hash=hash_password("parent-pass-123"))
    db.session.add(user)
    db.session.flush()
    return user


def test_a_parent_sees_their_childs_lessons_before_any_are_finished(client):
    sign_in(client, "parent")
    page = text(client)
    assert "Alex P.: online safety lessons" in page
    assert "Year 5 Kestrels" in page
    assert "0 of 1 lessons finished" in page
    assert "Alex has not finished a lesson yet." in page
    assert TIP in page  # in the guide for every lesson


def test_a_finished_lesson_shows_with_its_tip_and_nothing_of_the_answers(app, client):
    with app.app_context():
        pupil = alex()
        db.session.add(LessonProgress(school_id=pupil.school_id, pupil_id=pupil.id,
                                      lesson_slug="fixture-passwords", step_reached=9,
                                      current="done", completed_at=utcnow()))
        db.session.add(QuizAnswer(school_id=pupil.school_id, pupil_id=pupil.id,
                                  lesson_slug="fixture-passwords",
                                  question_id="best",
                                  answer="petname", correct=False,
                                  misconception="pet-name-is-safe"))
        db.session.add(Worry(school_id=pupil.school_id, source="pupil",
                             raised_by_id=pupil.user_id, about_pupil_id=pupil.id,
                             kind="unkind", words="a private worry about home",
                             client_token="f" * 32))
        db.session.commit()
    sign_in(client, "parent")
    page = text(client)
    assert "1 of 1 lessons finished" in page
    talk = page.split("Talk about what Alex has learned (1)", 1)[1]
    assert talk.startswith(" Strong passwords Done ✓ In this lesson Alex learned: I can make "
                           "a password from three random words.")  # the "I can" statements
    assert f"Try at home: {TIP}" in talk
    for secret in ("petname", "pet-name-is-safe", "a private worry about home", "unkind"):
        assert secret not in page


def test_a_lesson_under_way_is_named(app, client):
    with app.app_context():
        pupil = alex()
        db.session.add(LessonProgress(school_id=pupil.school_id, pupil_id=pupil.id,
                                      lesson_slug="fixture-passwords", step_reached=2,
                                      current="step:story"))
        db.session.commit()
    sign_in(client, "parent")
    page = text(client)
    assert "0 of 1 lessons finished, 1 under way" in page
    assert "Working on now: Strong passwords" in page


def test_a_parent_without_a_link_sees_no_child(app, client):
    with app.app_context():
        new_parent("newparent", db.session.scalar(select(School.id)))
        db.session.commit()
    sign_in(client, "newparent", "parent-pass-123")
    page = text(client)
    assert "not linked to a child yet" in page
    assert "Alex P." not in page and "online safety lessons" not in page


@pytest.mark.parametrize("case", ["left", "other school"])
def test_no_child_who_has_left_or_through_a_link_from_another_school(app, client, case):
    with app.app_context():
        pupil = alex()
        if case == "left":
            pupil.status = "left"
            username, password = "parent", "demo-parent-pass"
        else:
            other = School(name="Other Primary", slug="other")
            db.session.add(other)
            db.session.flush()
            parent = new_parent("otherparent", other.id)
            # a link recorded by mistake across schools is still not followed
            db.session.add(ParentLink(school_id=other.id, parent_id=parent.id,
                                      pupil_id=pupil.id))
            username, password = "otherparent", "parent-pass-123"
        db.session.commit()
    sign_in(client, username, password)
    page = text(client)
    assert "Alex P." not in page
    assert "not linked to a child yet" in page


@pytest.mark.parametrize("role", ["pupil", "teacher", "dsl", "admin"])
def test_only_parents_open_the_family_page(client, role):
    sign_in(client, role)
    assert client.get("/family/").status_code == 403


def test_set_work_shows_its_due_date_and_note_never_scores_levels_or_checks(app, client):
    """The demo teacher set Year 5 the lesson (with a note) and a baseline check; Alex took
    the check and got answers wrong. The parent sees what is set, not how Alex did."""
    from app.models import Assignment, LessonRelease, LevelOverride
    from app.teach.dates import school_date

    pupil = app.test_client()
    sign_in(pupil, "pupil")
    for qid, data in (("best", {"answer": "b"}), ("share", {"answer": "true"}),
                      ("tf2", {"answer": "false"}),
                      ("order", {"pos-0": "3", "pos-1": "2", "pos-2": "1"})):
        pupil.post(f"/learn/fixture-passwords/check/{qid}", data={
            "csrf_token": csrf_from(pupil.get(f"/learn/fixture-passwords/check/{qid}").get_data(
                as_text=True)), **data})
    with app.app_context():
        kid = alex()
        db.session.add(LevelOverride(school_id=kid.school_id, pupil_id=kid.id,
                                     lesson_slug="fixture-passwords",
                                     statement_id="keep-private", level="misconception",
                                     note="Private note for the teacher", set_by_id=kid.user_id))
        db.session.commit()
        due = db.session.scalar(select(Assignment.due_on).where(
            Assignment.class_id == kid.class_id, Assignment.kind == "lesson",
            Assignment.target == "class"))
        due_words = school_date(due, "day")
    sign_in(client, "parent")
    page = text(client)
    assert "Set by Alex's teacher" in page
    assert f"Strong passwords To finish by {due_words}" in page
    assert "Teacher's note: Finish this before our class discussion." in page
    assert "A quick check before the lesson: Strong passwords" in page
    section = page.split("Set by Alex's teacher")[1].split("Working on now")[0].split(
        "Talk about what")[0].split("Alex has not finished")[0].lower()
    for word in ("%", "right", "wrong", "secure", "misconception", "baseline", "score",
                 "first try", "worr"):
        assert word not in section, word
    for word in ("Private note", "Secure", "misconception", "first try", "baseline"):
        assert word.lower() not in page.lower(), word
    # a lesson held back for the class is not shown as set
    with app.app_context():
        kid = alex()
        db.session.add(LessonRelease(school_id=kid.school_id, class_id=kid.class_id,
                                     lesson_slug="fixture-passwords", state="held",
                                     set_by_id=kid.user_id))
        db.session.commit()
    assert "Set by Alex's teacher" not in text(client)


def test_the_family_page_folds_its_long_lists(client):
    """A parent on a phone sees the child's summary first; the tip lists fold away."""
    sign_in(client, "parent")
    html = client.get("/family/").get_data(as_text=True)
    assert html.count('<details class="panel collapse">') == 2  # one tip list per key stage
    assert "a tip for every lesson</h2></summary>" in html
