"""Fixtures: an app per test on a copy of a migrated, seeded demo database.

SQLite by default. With TEST_DATABASE_URL=postgresql://... the same tests run on PostgreSQL:
the demo database is built once as a template and each test gets a fresh copy of it.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.db import db
from app.demo import seed_demo
from app.migrate import upgrade

from .helpers import sign_in

HERE = Path(__file__).parent
FIXTURE_CONTENT = HERE / "fixtures" / "content"
REPO = HERE.parent
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
_counter = itertools.count()



def base_config(url: str, content: Path = FIXTURE_CONTENT) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": url,
        "CONTENT_DIR": str(content),
        "SERVER_NAME": None,
    }


class SQLiteDatabases:
    def __init__(self, tmp: Path):
        self.template = tmp / "template.db"

    def build_template(self) -> str:
        return f"sqlite:///{self.template}"

    def fresh(self, tmp_path: Path) -> str:
        path = tmp_path / "test.db"
        shutil.copy(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        pass


class PostgresDatabases:
    """CREATE DATABASE ... TEMPLATE: a full copy of the seeded demo in milliseconds."""

    def __init__(self, url: str):
        self.admin_url = make_url(url).set(drivername="postgresql+psycopg")
        self.prefix = f"drp_test_{os.getpid()}"
        self.template = f"{self.prefix}_template"

    def _admin(self):
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def _url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def build_template(self) -> str:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}"'))
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine.dispose()
        return self._url(self.template)

    def fresh(self, tmp_path: Path) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        engine.dispose()
        return self._url(name)

    def drop(self, url: str) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" '
                              "WITH (FORCE)"))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = PostgresDatabases(PG_URL) if PG_URL else SQLiteDatabases(
        tmp_path_factory.mktemp("template"))
    url = dbs.build_template()
    app = create_app(base_config(url))
    with app.app_context():
        upgrade(app.config["SQLALCHEMY_DATABASE_URI"])
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    yield dbs
    if PG_URL:
        dbs.drop(url)


@pytest.fixture
def make_app(databases, tmp_path):
    """Build an app on a fresh copy of the demo database, with extra config."""
    made = []

    def factory(**overrides):
        sub = tmp_path / f"db{len(made)}"
        sub.mkdir()
        url = databases.fresh(sub)
        app = create_app({**base_config(url), **overrides})
        made.append((app, url))
        return app

    yield factory
    for app, url in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        databases.drop(url)


def serve(databases, tmp_path: Path, content: Path):
    """Serve an app over real HTTP on a free loopback port (threaded), on a fresh database."""
    import threading

    from werkzeug.serving import make_server

    url = databases.fresh(tmp_path)
    app = create_app(base_config(url, content=content))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def live_app(databases, tmp_path):
    """The app with the small test course, served on loopback."""
    yield from serve(databases, tmp_path, FIXTURE_CONTENT)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def as_user(client):
    def _as(username: str):
        sign_in(client, username)
        return client

    return _as
