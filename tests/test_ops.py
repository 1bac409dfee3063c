"""Operations: /healthz, structured request logs, backup and restore (the stack, faults and
two hosts: tests/test_faults.py)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.db import db, utcnow
from app.demo import seed_demo
from app.migrate import upgrade
from app.models import AuditEvent, OutboxEmail, School, SchoolClass, User, Worry
from app.ops.backup import BackupError, backup, check_backup, expected_revision

from .conftest import SQLiteDatabases, base_config
from .helpers import real_page, sign_in
from .test_outbox import queue

# --- /healthz -------------------------------------------------------------------------------


def test_healthz_reports_database_content_and_outbox(make_app):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=1, OUTBOX_LATE_SECONDS=300)
    client = app.test_client()
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert body == {"status": "ok", "database": True, "content_loaded": True,
                    "lessons": len(app.extensions["catalogue"]),
                    "outbox_oldest_unsent_seconds": None, "outbox_failing": 0,
                    "outbox_late": False}
    queue(app, 2)
    with app.app_context():
        db.session.execute(update(OutboxEmail).values(
            created_at=utcnow() - timedelta(minutes=10), attempts=1))
        db.session.commit()
    body = client.get("/healthz").get_json()
    assert 590 < body["outbox_oldest_unsent_seconds"] < 3600
    assert body["outbox_failing"] == 2 and body["outbox_late"] is True
    assert client.get("/healthz").status_code == 200  # a stuck sender is reported, not fatal


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    missing = tmp_path / "no-such-folder" / "platform.db"
    app = create_app(base_config(f"sqlite:///{missing}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] is False
    assert body["content_loaded"] is True
    with app.app_context():
        db.engine.dispose()


def test_healthz_is_503_without_content(app):
    app.extensions["catalogue"] = None
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["content_loaded"] is False


# --- request logs ---------------------------------------------------------------------------


def request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "app.requests"]


def test_each_request_is_one_json_line_without_personal_data(app, as_user, caplog):
    client = as_user("teacher")
    with app.app_context():
        class_id = db.session.scalar(select(SchoolClass.id)
                                     .where(SchoolClass.name == "Year 5 Kestrels"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.requests"):
        page = client.get(f"/staff/classes/{class_id}?pupil=Alex&secret=hunter2",
                          headers={"X-Request-ID": "lb-1234abcd"})
        missing = client.get("/no/such/page")
        odd = client.get("/healthz", headers={"X-Request-ID": "bad id <with> spaces"})
    assert page.status_code == 200 and page.headers["X-Request-ID"] == "lb-1234abcd"
    lines = request_lines(caplog)
    assert [line["status"] for line in lines] == [200, 404, 200]
    first = lines[0]
    assert set(first) == {"request_id", "method", "endpoint", "route", "status", "duration_ms"}
    assert first["request_id"] == "lb-1234abcd" and first["method"] == "GET"
    assert first["endpoint"] == "teach.class_progress"
    assert first["route"] == "/staff/classes/<int:class_id>"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert lines[1]["endpoint"] == "-" and lines[1]["route"] == "-"
    assert missing.headers["X-Request-ID"] == lines[1]["request_id"]
    assert odd.headers["X-Request-ID"] != "bad id <with> spaces"  # a new id replaces junk
    assert len(lines[2]["request_id"]) == 32
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "app.requests")
    for private in ("Alex", "hunter2", "secret", "teacher", "Kestrels", str(class_id) + "?",
                    "127.0.0.1", "session"):
        assert private not in text, private


# --- backup and restore ---------------------------------------------------------------------


@pytest.fixture
def sqlite_app(databases, make_app, tmp_path):
    """An app on an SQLite copy of the demo, whichever database the rest of the suite uses."""
    if isinstance(databases, SQLiteDatabases):
        yield make_app()
        return
    url = f"sqlite:///{tmp_path / 'own.db'}"
    app = create_app(base_config(url))
    with app.app_context():
        upgrade(app.config["SQLALCHEMY_DATABASE_URI"])
        seed_demo()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def db_file(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def audit_ids(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM audit_events ORDER BY id")]


def test_backup_during_a_burst_of_writes_then_restore_keeps_every_committed_row(
        sqlite_app, tmp_path):
    app = sqlite_app
    with app.app_context():
        school_id = db.session.scalar(select(School.id))
        user_id = db.session.scalar(select(User.id).where(User.username == "dsl"))
    committed: list[int] = []
    enough, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with app.app_context():
                while not stop.is_set():
                    event = AuditEvent(school_id=school_id, user_id=user_id, action="view",
                                       target=f"burst {len(committed)}")
                    db.session.add(event)
                    db.session.commit()
                    committed.append(event.id)  # only once the commit has returned
                    if len(committed) >= 30:
                        enough.set()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert enough.wait(timeout=60)
        before = list(committed)
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b" / "copy.db")])
        after = list(committed)
        # the site keeps writing after the backup too
        target = len(committed) + 20
        while len(committed) < target and thread.is_alive():
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert errors == [] and result.exit_code == 0, result.output
    assert "Backed up to" in result.output and f"schema {expected_revision()}" in result.output
    copy = tmp_path / "b" / "copy.db"
    assert not (tmp_path / "b" / "copy.db.part").exists()
    in_copy = audit_ids(copy)
    burst = [i for i in in_copy if i in set(committed)]
    assert set(before) <= set(in_copy)  # everything committed before the backup began
    assert burst == committed[:len(burst)]  # one consistent moment: a prefix of the burst
    assert len(burst) <= len(after) + 1
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert len(audit_ids(db_file(app))) > len(in_copy)  # the live database moved on

    restored = app.test_cli_runner().invoke(args=["restore", str(copy), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "previous database is kept at" in restored.output
    assert audit_ids(db_file(app)) == in_copy  # exactly the backup: every committed row in it
    kept = list(db_file(app).parent.glob("*.before-restore-*"))
    assert len(kept) == 1 and audit_ids(kept[0])[-1] == committed[-1]  # nothing thrown away
    client = app.test_client()  # the site works on the restored database
    sign_in(client, "dsl")
    real_page(client.get("/safeguarding/"))
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) >= len(in_copy)


def make_not_ours(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")


def make_old_schema(path: Path, app) -> None:
    backup(app.config["SQLALCHEMY_DATABASE_URI"], path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")


def make_damaged(path: Path, app) -> None:
    backup(app.config["SQLALCHEMY_DATABASE_URI"], path)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page * 3):  # scribble over many pages
        data[offset + 8:offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "message"), [
    (lambda p, app: p.write_text("not a database at all, just words " * 200),
     "is not an SQLite database"),
    (lambda p, app: make_not_ours(p), "is not a database of this platform"),
    (make_old_schema, "is at schema version 0001, but this version of the platform expects"),
    (make_damaged, "is damaged"),
    (lambda p, app: p.write_bytes(b""), "is not a backup file"),
])
def test_restore_refuses_a_file_that_is_not_a_sound_backup_of_ours(
        sqlite_app, tmp_path, make, message):
    app = sqlite_app
    candidate = tmp_path / "candidate.db"
    make(candidate, app)
    before = audit_ids(db_file(app)), db_file(app).read_bytes()
    result = app.test_cli_runner().invoke(args=["restore", str(candidate), "--yes"])
    assert result.exit_code != 0 and message in result.output, result.output
    assert (audit_ids(db_file(app)), db_file(app).read_bytes()) == before  # untouched
    assert not list(db_file(app).parent.glob("*.before-restore-*"))


def test_restore_asks_before_replacing(sqlite_app, tmp_path):
    app = sqlite_app
    copy = tmp_path / "copy.db"
    assert app.test_cli_runner().invoke(args=["backup", str(copy)]).exit_code == 0
    answer = app.test_cli_runner().invoke(args=["restore", str(copy)], input="n\n")
    assert answer.exit_code != 0 and "Replace the current database" in answer.output
    assert "Aborted" in answer.output


def test_backup_of_postgresql_points_to_pg_dump(tmp_path):
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+psycopg://u@127.0.0.1/x", tmp_path / "x.db")
    with pytest.raises(BackupError, match="not a backup file"):
        check_backup(tmp_path / "nothing-here.db")


# --- the whole stack: tests/test_faults.py (deploy/run-stack.sh, restarts, the burst) ------


def test_the_backup_timers_script_writes_a_checked_copy_and_prunes_old_ones(
        sqlite_app, tmp_path):
    import os
    import subprocess
    import time

    from .conftest import FIXTURE_CONTENT, REPO

    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "platform-20200101T000000Z.db"
    old.write_bytes(b"an old backup")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    kept = folder / "notes.txt"  # not ours: left alone
    kept.write_text("x")
    os.utime(kept, (time.time() - 40 * 86400,) * 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({"DATABASE_URL": sqlite_app.config["DATABASE_URL"], "BACKUP_DIR": str(folder),
                "BACKUP_KEEP_DAYS": "30", "FLASK_SECRET_KEY": "x",
                "FLASK_CONTENT_DIR": str(FIXTURE_CONTENT)})
    done = subprocess.run([str(REPO / "deploy" / "backup.sh")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in folder.iterdir())
    assert len(made) == 2 and "notes.txt" in made and old.name not in made
    copy = next(p for p in folder.iterdir() if p.name.startswith("platform-"))
    assert f"schema {expected_revision()}" in check_backup(copy)
    assert oct(copy.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(("proxies", "recorded"), [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_the_audit_log_records_the_address_the_trusted_proxy_saw(make_app, proxies, recorded):
    app = make_app(PROXY_FIX_PROXIES=proxies)
    with app.app_context():
        pupil = db.session.scalar(select(User).where(User.username == "pupil"))
        worry = Worry(school_id=pupil.school_id, source="pupil", raised_by_id=pupil.id,
                      about_pupil_id=pupil.pupil.id, kind="unkind", client_token="p" * 32)
        db.session.add(worry)
        db.session.commit()
        worry_id = worry.id
    lead = app.test_client()
    sign_in(lead, "dsl")
    page = lead.get(f"/safeguarding/worries/{worry_id}",
                    headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    real_page(page)
    with app.app_context():
        ips = set(db.session.scalars(select(AuditEvent.ip).where(
            AuditEvent.target == f"worry {worry_id}")))
    assert ips == {recorded}


# --- the database unavailable, then back --------------------------------------------------


def test_database_unavailable_gives_a_calm_retry_page_then_the_app_recovers(app):
    """New connections fail (server down, file unreachable); pages say so kindly, with no
    false "sent"; once connections work again the same app serves normally, by itself."""
    from sqlalchemy import event

    from .helpers import csrf_from

    pupil = app.test_client()
    sign_in(pupil, "pupil")
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    form = pupil.get("/worry/").get_data(as_text=True)
    token = form.split('name="token" value="')[1].split('"')[0]
    with app.app_context():
        engine = db.engine
        before = db.session.scalar(select(func.count()).select_from(Worry))
    failure = engine.dialect.loaded_dbapi.OperationalError

    def refuse(dialect, conn_rec, cargs, cparams):
        raise failure("could not connect to server: Connection refused")

    event.listen(engine, "do_connect", refuse)
    engine.dispose()  # every pooled connection is gone with the server
    try:
        for client, url in [(pupil, "/learn/"), (teacher, "/staff/"), (pupil, "/worry/mine")]:
            response = client.get(url)
            html = response.get_data(as_text=True)
            assert response.status_code == 503, (url, response.status_code)
            assert response.headers["Retry-After"] == "30"
            assert "Please try again in a minute" in html and "Traceback" not in html
        sent = pupil.post("/worry/", data={
            "csrf_token": csrf_from(form), "token": token, "step": "3", "kind": "unkind",
            "about": "me", "feeling": "sad", "words": "", "talk": "yes", "from": "/learn/"})
        html = sent.get_data(as_text=True)
        assert sent.status_code == 503
        assert "it did not send. Please tell a grown-up now" in html and "was sent" not in html
        assert app.test_client().get("/healthz").status_code == 503
    finally:
        event.remove(engine, "do_connect", refuse)
    assert pupil.get("/learn/").status_code == 200  # back by itself: no restart
    real_page(teacher.get("/staff/"))
    assert app.test_client().get("/healthz").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Worry)) == before


def test_the_systemd_units_pass_systemds_own_check(tmp_path):
    """`systemd-analyze verify` (systemd's own reading of unit files; no running systemd
    needed) accepts the units, with /opt/safe-online as this checkout so the commands they
    start exist; and the supervisor behind deploy/run-stack.sh reads the same lines."""
    import shutil
    import subprocess

    from app.ops.supervise import ROOT, UNITS, Unit

    from .conftest import REPO

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/test.sh installs the systemd package"
    names = sorted(p.name for p in UNITS.iterdir())
    assert names == ["safe-online-backup.service", "safe-online-backup.timer",
                     "safe-online-sender.service", "safe-online-web.service"]
    for name in names:
        text = (UNITS / name).read_text().replace("/opt/safe-online", str(REPO))
        (tmp_path / name).write_text(text)
    done = subprocess.run([analyze, "verify", "--man=no", *names], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    web = Unit.read(UNITS / "safe-online-web.service")
    assert ROOT == REPO and web.restarts_on_failure() and web.first("RestartSec", "") == "5"
    assert web.commands("ExecStartPre") == [[f"{REPO}/.venv/bin/flask", "--app", "app",
                                             "init-db"]]
    assert web.commands("ExecStart")[0][:2] == [f"{REPO}/.venv/bin/gunicorn", "--workers"]
    assert web.commands("ExecStart")[0][-1] == "app.ops.wsgi:app"
