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

from .helpers import sign_in

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
                                  lesson_slug="fixture-passwords", quiz_slug="fixture-passwords",
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
    talk = page.split("Talk about what Alex has learned", 1)[1]
    assert talk.startswith(f" Strong passwords Done ✓ {TIP}")
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
