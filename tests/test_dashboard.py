"""The staff home as a dashboard, as a teacher, a lead and an admin would see it."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from app.db import db, utcnow
from app.models import Assignment, ClassTeacher, LessonProgress, Pupil, SchoolClass, User
from app.teach.dates import school_date, school_today

from .helpers import sign_in


def _set_work(app) -> None:
    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        teacher = db.session.scalar(select(User).where(User.username == "teacher"))
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        db.session.add(Assignment(school_id=y5.school_id, class_id=y5.id,
                                  lesson_slug="fixture-passwords", target="class",
                                  due_on=school_today() + timedelta(days=3),
                                  set_by_id=teacher.id))
        db.session.add(LessonProgress(school_id=y5.school_id, pupil_id=alex.id,
                                      lesson_slug="fixture-stuck-lesson", step_reached=1,
                                      current="step:x",
                                      started_at=utcnow() - timedelta(days=20)))
        db.session.commit()


def test_teacher_sees_set_work_and_stuck_pupil(app, client):
    _set_work(app)
    sign_in(client, "teacher")
    r = client.get("/staff/")
    assert r.status_code == 200
    page = unescape(r.get_data(as_text=True))
    with app.app_context():
        due = school_date(school_today() + timedelta(days=3))
        title = app.extensions["catalogue"].lesson("fixture-passwords").title
    assert re.search(re.escape(title) + r"</strong> · due " + re.escape(due), page), page
    assert "not started" in page
    assert "Pupils who seem stuck" in page
    assert "fixture-stuck-lesson" in page
    assert "Safeguarding desk" not in page


@contextmanager
def queries(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _count_home(app, client) -> int:
    client.get("/staff/")
    with queries(app) as seen:
        r = client.get("/staff/")
    assert r.status_code == 200
    return len(seen)


def test_home_queries_do_not_grow_with_classes(app, client):
    _set_work(app)
    sign_in(client, "teacher")
    one = _count_home(app, client)
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.username == "teacher"))
        y2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 2 Robins"))
        extra = SchoolClass(school_id=y2.school_id, name="Year 6 Owls", year_group=6)
        db.session.add(extra)
        db.session.flush()
        for c in (y2, extra):
            db.session.add(ClassTeacher(class_id=c.id, user_id=teacher.id))
            db.session.add(Assignment(school_id=c.school_id, class_id=c.id,
                                      lesson_slug="fixture-passwords", target="class",
                                      set_by_id=teacher.id))
        db.session.commit()
    three = _count_home(app, client)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Year 2 Robins" in page and "Year 6 Owls" in page
    assert one == three


@pytest.mark.parametrize(("user", "desk"), [("dsl", True), ("deputylead", True),
                                             ("teacher", False), ("admin", False)])
def test_only_leads_see_the_desk(app, client, user, desk):
    sign_in(client, user)
    r = client.get("/staff/")
    assert r.status_code == 200
    page = unescape(r.get_data(as_text=True))
    assert ("Safeguarding desk" in page) is desk
    assert ("unread worr" in page.lower()) is desk


def test_admin_setup_task_disappears_once_done(app, client):
    with app.app_context():
        y2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 2 Robins"))
        db.session.add(SchoolClass(school_id=y2.school_id, name="Year 6 Owls", year_group=6))
        db.session.commit()
    sign_in(client, "admin")
    page = unescape(client.get("/staff/").get_data(as_text=True))
    assert "Year 6 Owls has no teacher" in page
    with app.app_context():
        owls = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 6 Owls"))
        teacher = db.session.scalar(select(User).where(User.username == "teacher"))
        db.session.add(ClassTeacher(class_id=owls.id, user_id=teacher.id))
        db.session.commit()
    page = unescape(client.get("/staff/").get_data(as_text=True))
    assert "Year 6 Owls has no teacher" not in page
    assert "Nothing to do" in page
