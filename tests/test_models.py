"""The data model: bands from year groups, constraints, school scoping, and migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db import Base, db, utcnow
from app.models import (
    LessonProgress,
    ParentLink,
    Pupil,
    QuizAnswer,
    School,
    SchoolClass,
    StaffRole,
    User,
)


@pytest.mark.parametrize("year,band", [(1, "ks1"), (2, "ks1"), (3, "ks2"), (6, "ks2")])
def test_year_group_decides_the_band(app, year, band):
    with app.app_context():
        assert SchoolClass(name="x", year_group=year).band == band


def test_demo_school_shape(app):
    with app.app_context():
        school = db.session.scalar(select(School))
        assert school.name == "Demo Primary"
        assert [(c.name, c.year_group, c.band) for c in school.classes] == [
            ("Year 2 Robins", 2, "ks1"), ("Year 5 Kestrels", 5, "ks2")]
        for c in school.classes:
            assert db.session.scalar(select(func.count()).where(Pupil.class_id == c.id)) == 8
        pupil = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        assert pupil.short_name == "Alex P." and pupil.band == "ks2"
        assert pupil.user.agreement_key == "pupil-ks2"
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
        assert sam.user.username is None and sam.user.password_hash is None
        assert sam.picture_code == "cat,sun,tree"
        dsl = db.session.scalar(select(User).where(User.username == "dsl"))
        assert dsl.role_names == {"safeguarding_lead"} and dsl.agreement_key == "staff"
        parent = db.session.scalar(select(User).where(User.username == "parent"))
        link = db.session.scalar(select(ParentLink).where(ParentLink.parent_id == parent.id))
        assert link.pupil_id == pupil.id
        # every row belongs to one school
        for model in (User, Pupil, SchoolClass, ParentLink):
            assert set(db.session.scalars(select(model.school_id))) == {school.id}


def test_pupils_keep_only_first_name_and_initial():
    columns = set(Pupil.__table__.columns.keys())
    assert {"first_name", "surname_initial"} <= columns
    assert not {"surname", "date_of_birth", "address", "email"} & columns
    # One letter, or up to three when two pupils of a class would otherwise look alike.
    assert Pupil.__table__.columns["surname_initial"].type.length == 3


@pytest.mark.parametrize("make", [
    lambda s, c, u: SchoolClass(school_id=s.id, name="Year 9", year_group=9),
    lambda s, c, u: SchoolClass(school_id=s.id, name=c.name, year_group=3),
    lambda s, c, u: StaffRole(user_id=u.id, role="head-of-everything"),
    lambda s, c, u: User(school_id=s.id, kind="robot", display_name="R"),
    lambda s, c, u: User(school_id=s.id, kind="staff", display_name="Dup", username="admin"),
    lambda s, c, u: LessonProgress(school_id=s.id, pupil_id=u.pupil.id if u.pupil else 1,
                                   lesson_slug="x", current="done"),
], ids=["year-range", "class-name-unique", "role", "kind", "username-unique", "progress-unique"])
def test_constraints(app, make):
    with app.app_context():
        school = db.session.scalar(select(School))
        klass = school.classes[0]
        user = db.session.scalar(select(User).where(User.username == "pupil"))
        # an existing progress row, for the one-row-per-pupil-and-lesson case
        db.session.add(LessonProgress(school_id=school.id, pupil_id=user.pupil.id,
                                      lesson_slug="x", current="done"))
        db.session.commit()
        db.session.add(make(school, klass, user))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_times_are_stored_and_read_back_in_utc(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "pupil"))
        answer = QuizAnswer(school_id=user.school_id, pupil_id=user.pupil.id, lesson_slug="l",
                            question_id="x", answer={"option": "a"},
                            correct=True)
        db.session.add(answer)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(QuizAnswer, answer.id)
        assert stored.created_at.tzinfo is not None
        assert abs((utcnow() - stored.created_at).total_seconds()) < 60
        assert stored.answer == {"option": "a"}
        with pytest.raises(Exception, match="naive"):
            from datetime import datetime

            stored.created_at = datetime(2026, 1, 1)
            db.session.commit()
        db.session.rollback()


def test_migrations_match_the_models(app):
    """The database built by Alembic has exactly the tables and columns the models declare."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
        if conn.dialect.name == "sqlite":
            # Migration 0004 widens pupils.surname_initial only where lengths are enforced
            # (recreating "pupils" on SQLite would break the tables that point at it).
            diff = [d for d in diff if not (isinstance(d, list) and d[0][0] == "modify_type"
                                            and d[0][2:4] == ("pupils", "surname_initial"))]
    assert diff == []
