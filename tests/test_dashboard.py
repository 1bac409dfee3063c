"""The staff home as a dashboard, as a teacher, a lead and an admin would see it."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from sqlalchemy import select

from app.db import db, utcnow
from app.models import Assignment, LessonProgress, Pupil, SchoolClass, User
from app.teach.dates import school_today

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
    assert "Set work" in page and "not started" in page
    assert "Pupils who seem stuck" in page
    assert "fixture-stuck-lesson" in page
    assert "Safeguarding desk" not in page
