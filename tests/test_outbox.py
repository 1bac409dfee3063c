"""The outbox sender: each alert claimed then sent exactly once, never from a web request.

Against real SMTP servers on loopback: aiosmtpd (accepting, slow, refusing), a socket that
accepts and never answers, and nothing listening. SQLite by default; PostgreSQL with
TEST_DATABASE_URL (see conftest.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from app.db import db, utcnow
from app.models import OutboxEmail, School, User, Worry
from app.worries import mail

from .conftest import FIXTURE_CONTENT, REPO
from .helpers import real_page, redirected, sign_in
from .smtp import SMTPServer, free_port
from .test_worries import report

MAIL_FROM = "Safe Online <alerts@demo-primary.example>"


class Handler:
    """An aiosmtpd handler that keeps messages, can be slow, refuse, or hang in DATA."""

    def __init__(self, data_reply: str | None = None, rcpt_reply: str | None = None,
                 delay: float = 0.0, hang: bool = False):
        self.messages: list = []
        self.data_calls = 0
        self.data_reply, self.rcpt_reply, self.delay, self.hang = (
            data_reply, rcpt_reply, delay, hang)
        self.entered = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        self.data_calls += 1
        self.entered.set()
        if self.hang:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server with the given handler; stopped after the test."""
    started = []

    def start(handler: Handler) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


class HangingServer:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hanging():
    server = HangingServer()
    yield server
    server.close()


def queue(app, n: int) -> list[int]:
    """n alert rows for the demo school, as the worry form queues them."""
    with app.app_context():
        school = db.session.scalar(select(School))
        rows = [OutboxEmail(school_id=school.id, purpose="alert",
                            to_address=f"lead{i}@demo-primary.example",
                            subject="New worry raised", body="A new worry is waiting.\n")
                for i in range(n)]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def rows(app) -> list[OutboxEmail]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
        db.session.expunge_all()
        return found


def expected_ids(app, ids: list[int]) -> set[str]:
    with app.app_context():
        school_id = db.session.scalar(select(School.id))
    return {f"<outbox-{i}.{school_id}@demo-primary.example>" for i in ids}


def test_four_senders_at_once_send_each_row_exactly_once(make_app, smtp_server):
    handler = Handler(delay=0.002)  # slow enough that the senders' batches overlap
    port = smtp_server(handler)
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM=MAIL_FROM, OUTBOX_BATCH=3)
    ids = queue(app, 60)
    start = threading.Barrier(4, timeout=30)
    results: dict[str, tuple[int, int]] = {}
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        try:
            with app.app_context():  # its own session and database connection
                start.wait()
                results[name] = mail.deliver_outbox(app, sender=name)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(f"sender-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    received = Counter(m["Message-ID"] for m in handler.messages)
    assert set(received) == expected_ids(app, ids)
    assert set(received.values()) == {1}  # each row exactly once
    assert sum(sent for sent, _ in results.values()) == 60
    assert all(failed == 0 for _, failed in results.values())
    stored = rows(app)
    assert all(r.sent_at and r.attempts == 1 and r.claimed_until is None for r in stored)
    assert {r.message_id for r in stored} == set(received)
    assert {r.claimed_by for r in stored} <= set(results)


def sender_env(app, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({"DATABASE_URL": app.config["DATABASE_URL"], "FLASK_APP": "app",
                "FLASK_SECRET_KEY": "test-secret-key", "FLASK_CONTENT_DIR": str(FIXTURE_CONTENT),
                "FLASK_SMTP_HOST": "127.0.0.1", "FLASK_MAIL_FROM": MAIL_FROM,
                "PYTHONUNBUFFERED": "1", **extra})
    return env


FLASK = [sys.executable, "-m", "flask"]


def test_two_sender_processes_at_once_send_each_row_exactly_once(make_app, smtp_server):
    handler = Handler(delay=0.002)
    port = smtp_server(handler)
    app = make_app()
    ids = queue(app, 40)
    env = sender_env(app, FLASK_SMTP_PORT=str(port), FLASK_OUTBOX_BATCH="2")
    procs = [subprocess.Popen([*FLASK, "send-outbox"], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    received = Counter(m["Message-ID"] for m in handler.messages)
    assert set(received) == expected_ids(app, ids) and set(received.values()) == {1}
    assert all(r.sent_at is not None for r in rows(app))


def test_a_claim_left_by_a_dead_sender_expires_and_the_row_is_sent_once(make_app, smtp_server):
    handler = Handler()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server(handler), MAIL_FROM=MAIL_FROM)
    [row_id] = queue(app, 1)
    with app.app_context():
        [claimed] = mail.claim_due(app, "dead-sender")  # claimed, then the sender died
        first_id = claimed.message_id
        assert mail.deliver_outbox(app) == (0, 0)  # still held: nobody else sends it
        assert handler.messages == []
        db.session.execute(update(OutboxEmail).values(
            claimed_until=utcnow() - timedelta(seconds=1)))  # the claim has run out
        db.session.commit()
        assert mail.deliver_outbox(app) == (1, 0)
        assert mail.deliver_outbox(app) == (0, 0)
    assert [m["Message-ID"] for m in handler.messages] == [first_id]
    assert first_id == f"<outbox-{row_id}.{rows(app)[0].school_id}@demo-primary.example>"


def test_a_sender_killed_mid_send_leaves_a_claim_that_expires_then_one_email(
        make_app, smtp_server):
    stuck = Handler(hang=True)  # takes the message and never answers: the sender waits
    stuck_port = smtp_server(stuck)
    app = make_app()
    queue(app, 1)
    env = sender_env(app, FLASK_SMTP_PORT=str(stuck_port), FLASK_SMTP_TIMEOUT="60",
                     FLASK_OUTBOX_CLAIM_SECONDS="2")
    proc = subprocess.Popen([*FLASK, "send-outbox"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert stuck.entered.wait(timeout=60), "the sender never reached DATA"
    finally:
        proc.kill()  # SIGKILL in the middle of the send: no chance to tidy up
        proc.wait(timeout=30)
    [row] = rows(app)
    assert row.sent_at is None and row.claimed_by and row.claimed_until is not None
    good = Handler()  # a new sender, with a server that works
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server(good), MAIL_FROM=MAIL_FROM)
    with app.app_context():
        assert mail.deliver_outbox(app) == (0, 0)  # the dead sender's claim still holds
        deadline = time.monotonic() + 30
        while mail.deliver_outbox(app) == (0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)  # until the two-second claim runs out
    assert [m["Message-ID"] for m in good.messages] == [row.message_id]
    [after] = rows(app)
    assert after.sent_at is not None and after.attempts == 1


def test_the_web_request_never_talks_to_smtp_and_the_sender_backs_off(
        make_app, hanging, caplog):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=hanging.port, SMTP_TIMEOUT=0.5)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    redirected(report(pupil, words="a private detail"), '/worry/sent/JQUO-<id>QH')
    real_page(pupil.get("/learn/"))
    assert hanging.accepted == []  # the request path opened no connection
    [row] = rows(app)
    assert row.sent_at is None and row.attempts == 0
    with caplog.at_level(logging.INFO, logger="app.outbox"), app.app_context():
        assert mail.deliver_outbox(app) == (0, 1)
        assert len(hanging.accepted) == 1
        assert mail.deliver_outbox(app) == (0, 0)  # backed off: not tried again at once
        assert len(hanging.accepted) == 1
    [row] = rows(app)
    assert row.sent_at is None and row.attempts == 1 and row.claimed_until is None
    assert row.last_error == "SMTPServerDisconnected"
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "app.outbox")
    assert f"outbox {row.id} not delivered: SMTPServerDisconnected" in logged
    assert "@" not in logged and "private" not in logged and "worry" not in logged.lower()


@pytest.mark.parametrize(("handler", "error"), [
    (Handler(data_reply="451 4.3.0 Try again later"), "SMTPDataError 451"),
    (Handler(data_reply="554 5.7.1 Rejected for dsl@demo-primary.example"), "SMTPDataError 554"),
    (Handler(rcpt_reply="550 5.1.1 No such user dsl@demo-primary.example"),
     "SMTPRecipientsRefused 550"),
])
def test_a_refusing_server_is_recorded_without_the_address_and_retried(
        make_app, smtp_server, handler, error, caplog):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server(handler))
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    redirected(report(pupil), '/worry/sent/JQUO-<id>QH')
    assert handler.data_calls == 0 and handler.messages == []  # nothing from the request
    with caplog.at_level(logging.INFO, logger="app.outbox"), app.app_context():
        assert mail.deliver_outbox(app) == (0, 1)
        assert mail.deliver_outbox(app) == (0, 0)  # backing off
        db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert mail.deliver_outbox(app) == (0, 1)  # tried again once the back-off passed
    [row] = rows(app)
    assert row.last_error == error and row.attempts == 2 and row.sent_at is None
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "app.outbox")
    assert f"outbox {row.id} not delivered: {error}" in logged and "@" not in logged
    assert row.next_attempt_at - utcnow() > timedelta(minutes=1)  # longer each time


class GreetsAndCloses:
    """A server that answers every connection with one line and hangs up (421: too busy)."""

    def __init__(self, line: bytes):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.line = line
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(self.line)

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("where", ["greeting", "data"])
def test_a_server_closing_with_421_fails_the_whole_batch_for_later(make_app, smtp_server,
                                                                    where):
    """421 (service not available, closing): at the greeting nothing can be sent; after the
    first message's DATA the connection is gone, so the rest of the batch fails too. Every
    row is kept for a later try, with the error recorded, and nothing is lost or sent."""
    busy = GreetsAndCloses(b"421 4.3.2 Too busy, try later\r\n")
    handler = Handler(data_reply="421 4.3.2 Closing, try later")
    port = busy.port if where == "greeting" else smtp_server(handler)
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, OUTBOX_BATCH=5)
        ids = queue(app, 3)
        with app.app_context():
            assert mail.deliver_outbox(app) == (0, 3)
    finally:
        busy.close()
    found = rows(app)
    assert [r.id for r in found] == ids and all(r.sent_at is None for r in found)
    assert all(r.attempts == 1 and r.claimed_until is None for r in found)
    if where == "greeting":
        assert {r.last_error for r in found} == {"SMTPConnectError 421"}
    else:
        assert handler.data_calls == 1  # smtplib hung up after the 421, as it should
        assert [r.last_error for r in found] == ["SMTPDataError 421"] + [
            "SMTPServerDisconnected"] * 2


def test_warning_for_admins_and_leads_while_alerts_are_not_delivered(make_app, smtp_server):
    handler = Handler(data_reply="451 4.3.0 Try again later")
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server(handler),
                   SCHOOL_TIMEZONE="Europe/London")
    warning = "Alerts are not being delivered since"
    clients = {}
    for name in ("admin", "dsl", "teacher"):
        clients[name] = app.test_client()
        sign_in(clients[name], name)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    report(pupil)
    assert warning not in clients["admin"].get("/staff/").get_data(as_text=True)  # just queued
    with app.app_context():
        mail.deliver_outbox(app)
        school_id = db.session.scalar(select(School.id))
        since = mail.delivery_problem(school_id)
        created = db.session.scalar(select(func.min(OutboxEmail.created_at)))
        other = School(name="Other Primary", slug="other")
        db.session.add(other)
        db.session.commit()
        assert mail.delivery_problem(other.id) is None  # scoped to the school
    assert since == created
    from zoneinfo import ZoneInfo

    hhmm = since.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
    for name, url in [("admin", "/staff/"), ("dsl", "/staff/"), ("dsl", "/safeguarding/")]:
        page = clients[name].get(url).get_data(as_text=True)
        assert f"{warning} {hhmm}" in page, (name, url)
    assert warning not in clients["teacher"].get("/staff/").get_data(as_text=True)

    handler.data_reply = None  # the server is fixed; the next round delivers
    with app.app_context():
        db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert mail.deliver_outbox(app) == (1, 0)
        assert mail.delivery_problem(school_id) is None
    assert warning not in clients["admin"].get("/staff/").get_data(as_text=True)
    assert warning not in clients["dsl"].get("/safeguarding/").get_data(as_text=True)


def test_an_alert_nobody_sends_shows_the_warning_too(make_app):
    """No sender running at all: nothing fails, but the alert waits past OUTBOX_LATE_SECONDS."""
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_LATE_SECONDS=60)
    queue(app, 1)
    lead = app.test_client()
    sign_in(lead, "dsl")
    assert "Alerts are not being delivered" not in lead.get("/safeguarding/").get_data(
        as_text=True)
    with app.app_context():
        db.session.execute(update(OutboxEmail).values(
            created_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    assert "Alerts are not being delivered" in lead.get("/safeguarding/").get_data(as_text=True)
    off = make_app()  # email switched off: no promise of email, so no warning
    queue(off, 1)
    with off.app_context():
        db.session.execute(update(OutboxEmail).values(
            created_at=utcnow() - timedelta(hours=5)))
        db.session.commit()
        assert mail.delivery_problem(db.session.scalar(select(School.id))) is None


def old_unread_worry(app) -> None:
    with app.app_context():
        pupil = db.session.scalar(select(User).where(User.username == "pupil"))
        db.session.add(Worry(school_id=pupil.school_id, source="pupil", raised_by_id=pupil.id,
                             about_pupil_id=pupil.pupil.id, kind="unkind", client_token="r" * 32,
                             created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()


def test_senders_queueing_reminders_at_once_queue_each_reminder_once(make_app):
    app = make_app(WORRY_REMINDER_MINUTES=60)
    old_unread_worry(app)
    start = threading.Barrier(4, timeout=30)
    queued: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                start.wait()
                queued.append(mail.queue_reminders())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and sorted(queued) == [0, 0, 0, 1]
    assert [r.purpose for r in rows(app)] == ["reminder"]


def wait_for(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_watch_sends_alerts_and_reminders_and_stops_cleanly(make_app, stop):
    server = SMTPServer().start()
    try:
        app = make_app(PUBLIC_URL="https://school.test")
        env = sender_env(app, FLASK_SMTP_PORT=str(server.port), FLASK_REMINDER_CHECK_SECONDS="0.3",
                         FLASK_WORRY_REMINDER_MINUTES="0.02", FLASK_PUBLIC_URL="https://school.test")
        proc = subprocess.Popen([*FLASK, "send-outbox", "--watch", "--poll", "0.2"], cwd=REPO,
                                env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            pupil = app.test_client()
            sign_in(pupil, "pupil")
            redirected(report(pupil), '/worry/sent/JQUO-<id>QH')
            assert wait_for(lambda: any(m["Subject"] == "New worry raised"
                                        for m in server.messages)), "no alert sent"
            assert wait_for(lambda: any(m["Subject"].startswith("Reminder")
                                        for m in server.messages)), "no reminder sent"
        finally:
            proc.send_signal(stop)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Sender stopped." in out
        assert "watching the outbox" in err and "stopped" in err
        ids = Counter(m["Message-ID"] for m in server.messages)
        assert set(ids.values()) == {1}
    finally:
        server.stop()


def test_send_outbox_without_smtp_says_so(app, runner):
    out = runner.invoke(args=["send-outbox", "--watch"]).output
    assert "SMTP is not configured" in out


def test_the_web_process_has_no_smtp_code_path():
    """Nothing under app/ except the sender's module opens SMTP connections."""
    users = [p for p in Path(REPO, "app").rglob("*.py") if "smtplib" in p.read_text()]
    assert users == [Path(REPO, "app", "worries", "mail.py")]
    views = Path(REPO, "app", "worries", "views.py").read_text()
    assert "deliver_outbox" not in views and "call_on_close" not in views
