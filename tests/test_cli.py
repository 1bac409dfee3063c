"""flask commands: init-db on an empty database, seed-demo twice, the secret key."""

from __future__ import annotations

from sqlalchemy import func, select

from app import create_app
from app.config import instance_secret
from app.db import db
from app.models import (
    ClassTeacher,
    ParentLink,
    Pupil,
    School,
    SchoolClass,
    StaffRole,
    User,
)

from .conftest import FIXTURE_CONTENT, PG_URL

COUNTED = (School, SchoolClass, User, StaffRole, ClassTeacher, Pupil, ParentLink)


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_seed_demo_twice_duplicates_nothing(app, runner):
    with app.app_context():
        before = counts()
    assert before == {"School": 1, "SchoolClass": 2, "User": 5 + 16 + 1, "StaffRole": 5,
                      "ClassTeacher": 2, "Pupil": 16, "ParentLink": 1}
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "(0 new rows)" in result.output
    with app.app_context():
        assert counts() == before


def test_init_db_then_seed_on_an_empty_database(tmp_path):
    if PG_URL:
        return  # the PostgreSQL run builds its template database the same way in conftest
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "CONTENT_DIR": str(FIXTURE_CONTENT),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    runner = app.test_cli_runner()
    assert "up to date" in runner.invoke(args=["init-db"]).output
    assert "up to date" in runner.invoke(args=["init-db"]).output  # idempotent
    out = runner.invoke(args=["seed-demo"]).output
    assert "Demo Primary ready" in out
    with app.app_context():
        assert counts()["Pupil"] == 16
        db.engine.dispose()


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = instance_secret(tmp_path)
    assert len(first) == 64
    assert instance_secret(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
