"""Faults against the real stack: gunicorn and the sender started from the systemd units'
own lines (deploy/run-stack.sh), pupils over real HTTP, a real SMTP server (aiosmtpd).

- two hosts on one database, as one; one of them killed, restarted by its supervisor;
- the Done-when burst: 200 worries from 100 pupils, 4 workers, two overlapping senders, a
  worker killed mid-burst; every confirmed worry stored once, a pupil who lost the answer
  resends without a duplicate, each lead hears of each worry in exactly one email;
- the database full (SQLite) or unreachable (PostgreSQL), then back.

SQLite by default, PostgreSQL with TEST_DATABASE_URL (scripts/test.sh runs both). Every
process a test starts is stopped by the test. Timings are in bench/alerts.py, never here.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from app import create_app
from app.db import db
from app.demo import add_pupils
from app.models import OutboxEmail, School, SchoolClass, StaffRole, User, Worry
from app.ops.supervise import group_members

from .conftest import FIXTURE_CONTENT, REPO, base_config
from .smtp import SMTPServer, _Inbox, free_port

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WORRY_TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
LOST = (ConnectionError, http.client.HTTPException, TimeoutError)  # an answer that never came


class Pupil:
    """A browser without redirects: cookies, one connection per request (sync workers)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None
                ) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read().decode()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", payload

    def sign_in(self, username: str, password: str) -> None:
        page = self.request("GET", "/login")[2]
        status, _, _ = self.request("POST", "/login", {
            "csrf_token": TOKEN.search(page).group(1), "username": username,
            "password": password})
        assert status == 302, (username, status)
        page = self.request("GET", "/agreement")[2]
        if 'action="/agreement"' in page or "agreement" in page.lower():
            match = TOKEN.search(page)
            if match:
                self.request("POST", "/agreement", {"csrf_token": match.group(1)})

    def worry_form(self, words: str) -> dict:
        """The last step of the worry form, filled in, as the pupil's browser holds it."""
        page = self.request("GET", "/worry/")[2]
        return {"csrf_token": TOKEN.search(page).group(1),
                "token": WORRY_TOKEN.search(page).group(1), "step": "3", "kind": "unkind",
                "about": "me", "words": words, "talk": "yes", "from": "/learn/"}

    def send(self, form: dict, tries: int = 5) -> tuple[str, int]:
        """Press send; when the answer is lost, press it again (the same form, the same
        token), as a pupil does. Returns the confirmation's address and the resends."""
        for attempt in range(tries):
            try:
                status, location, _ = self.request("POST", "/worry/", form)
            except LOST:
                time.sleep(0.2)
                continue
            assert status == 302 and "/worry/sent/" in location, (status, location)
            return location, attempt
        raise AssertionError("the worry form never answered")


def wait_until(condition: Callable[[], object], timeout: float = 60,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Stack:
    """deploy/run-stack.sh in its own session, its output collected line by line."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.proc = subprocess.Popen([str(REPO / "deploy" / "run-stack.sh")], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def pids(self, service: str) -> list[int]:
        """Every pid the supervisor has started for a service, in order."""
        return [int(m.group(1)) for m in re.finditer(
            rf"run-stack: {service} \(pid (\d+)\) started", self.output)]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        self.reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        for pid in self.pids("web") + self.pids("sender"):  # nothing of any group is left
            assert group_members(pid) == [], (pid, self.output)
        return code


def stack_env(url: str, smtp_port: int, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SAFE_ONLINE"))}
    env.update({"DATABASE_URL": url, "FLASK_SECRET_KEY": "stack-secret",
                "FLASK_CONTENT_DIR": str(FIXTURE_CONTENT), "FLASK_SMTP_HOST": "127.0.0.1",
                "FLASK_SMTP_PORT": str(smtp_port), "FLASK_OUTBOX_POLL_SECONDS": "0.2",
                "FLASK_PUBLIC_URL": "https://school.test", "SAFE_ONLINE_RESTART_SEC": "0.5",
                "SAFE_ONLINE_BIND": f"127.0.0.1:{port}", **extra})
    return env


def healthy(port: int) -> bool:
    try:
        return Pupil(port).request("GET", "/healthz")[0] == 200
    except OSError:
        return False


@contextmanager
def running_stack(env: dict[str, str], cwd: Path) -> Iterator[Stack]:
    stack = Stack(env, cwd)
    port = int(env["SAFE_ONLINE_BIND"].rsplit(":", 1)[1])
    try:
        wait_until(lambda: healthy(port) and stack.pids("sender"), 120, "the stack")
        yield stack
    finally:
        code = stack.stop()
    assert code == 0, stack.output
    assert not healthy(port)


# --- the Done-when burst --------------------------------------------------------------------

PUPILS, WORRIES_EACH = 100, 2


def add_burst_school(url: str) -> list[str]:
    """100 pupils who can sign in, and a second lead; returns the leads' addresses."""
    app = create_app(base_config(url))
    with app.app_context():
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.year_group == 5))
        # a quick hash: 100 sign-ins should not cost 100 scrypt runs on a shared machine
        add_pupils(klass, PUPILS, "burst", generate_password_hash(
            "burst-pass", method="pbkdf2:sha256:1000"), accepted=True)
        school = db.session.scalar(select(School))
        deputy = User(school_id=school.id, kind="staff", username="deputy",
                      display_name="Deputy Lead", email="deputy@demo-primary.example")
        db.session.add(deputy)
        db.session.flush()
        db.session.add(StaffRole(user_id=deputy.id, role="safeguarding_lead"))
        db.session.commit()
        from app.worries.service import lead_emails

        leads = sorted(lead_emails(school.id))
        db.session.remove()
        db.engine.dispose()
    return leads


class SlowSMTPServer(SMTPServer):
    """tests/smtp.py's server, taking ``delay`` seconds over each message."""

    def __init__(self, delay: float):
        super().__init__()
        self.inbox = _SlowInbox(delay)


class _SlowInbox(_Inbox):
    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def worries_covered(message: Message) -> int:
    """How many worries one alert announces: its own, or the count of a combined alert."""
    body = message.get_payload(decode=True).decode()
    combined = re.search(r"(\d+) new worries have been raised", body)
    return int(combined.group(1)) if combined else 1


def assert_each_lead_hears_of_each_worry_once(messages: list[Message], rows: list,
                                              worries: list, leads: list[str]) -> None:
    """The alert rule: for every lead and every pupil, the alerts that lead received
    (each its first worry and how many it counts) cover that pupil's worries, in order,
    each exactly once: no worry unannounced, none announced twice."""
    by_message_id = {row.message_id: row for row in rows}
    assert len(messages) == len(rows) == len(by_message_id)  # every row sent, once
    assert {m["Message-ID"] for m in messages} == set(by_message_id)
    pupil_of = {w.id: w.raised_by_id for w in worries}
    alerts: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for message in messages:
        row = by_message_id[message["Message-ID"]]
        assert message["To"] == row.to_address
        alerts[(row.to_address, pupil_of[row.worry_id])].append(
            (row.worry_id, worries_covered(message)))
    for pupil_id in set(pupil_of.values()):
        theirs = sorted(w for w, p in pupil_of.items() if p == pupil_id)
        for lead in leads:
            covered: list[int] = []
            for first, count in sorted(alerts[(lead, pupil_id)]):
                start = theirs.index(first)
                covered += theirs[start:start + count]
            assert covered == theirs, (lead, pupil_id, alerts[(lead, pupil_id)], theirs)


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()]


def test_a_burst_with_a_worker_killed_and_two_senders_alerts_each_lead_once_per_worry(
        databases, tmp_path):
    """The issue's Done-when: 200 worries from 100 pupils pressed at once, gunicorn with 4
    workers, the stack's sender plus a second one overlapping (a cron run, another host), a
    worker killed (SIGKILL) in the middle. Every pupil ends on the "sent" page; every worry
    that page confirmed is stored, once; a pupil whose answer was lost sends the same form
    again and gets the same confirmation; each lead hears of each worry in one email (its
    own alert, or counted in one combined alert for that pupil), each email sent once."""
    url = databases.fresh(tmp_path)
    leads = add_burst_school(url)
    engine = create_engine(url)
    # An SMTP server that takes a moment per message, senders that claim a few rows at a
    # time: while some of a pupil's alerts are claimed and on the wire, others still wait,
    # so a pupil's second worry meets both (a new alert, or one combined alert).
    smtp = SlowSMTPServer(delay=0.02).start()
    port = free_port()
    env = stack_env(url, smtp.port, port, SAFE_ONLINE_WORKERS="4", FLASK_OUTBOX_BATCH="5")
    second = None
    try:
        with running_stack(env, tmp_path) as stack:
            pupils = [Pupil(port) for _ in range(PUPILS)]
            signing_in = [threading.Thread(target=p.sign_in, args=(f"burst{i}", "burst-pass"))
                          for i, p in enumerate(pupils)]
            for t in signing_in:
                t.start()
            for t in signing_in:
                t.join(timeout=120)
            second = subprocess.Popen([str(REPO / ".venv" / "bin" / "flask"), "--app", "app",
                                       "send-outbox", "--watch", "--poll", "0.2"],
                                      cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            confirmed, resends = burst(pupils, stack, engine)
            # the pupil who is not sure presses send again on a form already confirmed
            again = [p.send(form)[0] for p, form, _ in confirmed[:5]]
            assert again == [location for _, _, location in confirmed[:5]]
            wait_until(lambda: unsent(engine) == 0, 120, "every alert to be sent")
            time.sleep(1.5)  # room for a duplicate to arrive
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
    finally:
        if second is not None and second.poll() is None:
            second.kill()
            second.wait()
        smtp.stop()
    assert "was sent SIGKILL" in stack.output or "exited with code" in stack.output
    app = create_app(base_config(url))
    with app.app_context():
        worries = list(db.session.scalars(select(Worry).order_by(Worry.id)))
        rows = list(db.session.scalars(select(OutboxEmail).where(
            OutboxEmail.purpose == "alert")))
        assert len(worries) == PUPILS * WORRIES_EACH  # every confirmed worry, none twice
        assert sorted(w.client_token for w in worries) == sorted(
            form["token"] for _, form, _ in confirmed)
        assert_each_lead_hears_of_each_worry_once(list(smtp.messages), rows, worries, leads)
        db.session.remove()
        db.engine.dispose()
    engine.dispose()
    databases.drop(url)


def unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(OutboxEmail.id)).where(
            OutboxEmail.sent_at.is_(None))).scalar_one()


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM worries")).scalar_one()


def burst(pupils: list[Pupil], stack: Stack, engine) -> tuple[list, int]:
    """Every pupil sends two worries, all pressing at once; one worker is killed when about
    a fifth are stored. Returns (pupil, form, confirmation) for each worry, and the resends."""
    ready = threading.Barrier(len(pupils) + 1, timeout=120)
    confirmed: list = []
    resends: list[int] = []
    errors: list[BaseException] = []

    def press(pupil: Pupil, i: int) -> None:
        try:
            forms = [pupil.worry_form(f"worry {n} of pupil {i}") for n in range(WORRIES_EACH)]
            ready.wait()
            for form in forms:
                location, again = pupil.send(form)
                confirmed.append((pupil, form, location))
                resends.append(again)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(p, i)) for i, p in enumerate(pupils)]
    for t in threads:
        t.start()
    ready.wait()
    wait_until(lambda: stored(engine) >= len(pupils) * WORRIES_EACH // 5, 120, "the burst")
    [master] = stack.pids("web")
    os.kill(worker_pids(master)[0], signal.SIGKILL)
    for t in threads:
        t.join(timeout=180)
    assert errors == [], errors[:3]
    assert len(confirmed) == len(pupils) * WORRIES_EACH
    return confirmed, sum(resends)


# --- the database full or unreachable, then back --------------------------------------------


class Proxy:
    """A TCP relay in front of the PostgreSQL server: cut() is the server gone (every
    connection dropped, new ones refused), restore() the server back."""

    def __init__(self, upstream: int):
        self.upstream = upstream
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.open = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if not self.open:
                conn.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.pairs.append((conn, server))
            for a, b in ((conn, server), (server, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.sock.close()


class DiskFull:
    """The SQLite file's disk full, for real, in the web server's processes: their file size
    limit (RLIMIT_FSIZE, which Python's ignored SIGXFSZ turns into a failed write) set
    below every database write, so SQLite's writes fail as on a full disk; lifted, it is
    back. No root, no mount: it works on any Linux machine."""

    def __init__(self, master: int):
        self.master = master

    def pids(self) -> list[int]:
        return [self.master, *worker_pids(self.master)]

    def cut(self) -> None:
        for pid in self.pids():
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))

    def restore(self) -> None:
        for pid in self.pids():
            resource.prlimit(pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def close(self) -> None:
        pass


def assert_calm_retry_page(status: int, html: str) -> None:
    assert status == 503, status
    assert "Please try again in a minute" in html and "Traceback" not in html


def test_the_database_full_or_unreachable_then_back(databases, tmp_path):
    """SQLite: the disk is full; PostgreSQL: the database server is unreachable (its
    connections dropped, new ones refused). Under gunicorn: the pupil who presses send sees
    the honest "it did not send, tell a grown-up now" page and nothing is stored; a lesson
    page shows the calm retry page, never a bare 500; when the database is back the same
    running servers serve again by themselves and the pupil's resend is stored once."""
    url = databases.fresh(tmp_path)
    postgres = make_url(url).get_backend_name() == "postgresql"
    proxy = Proxy(make_url(url).port) if postgres else None
    served = make_url(url).set(port=proxy.port).render_as_string(hide_password=False) \
        if proxy else url
    port = free_port()
    env = stack_env(served, 1, port)
    del env["FLASK_SMTP_HOST"]  # no email here: the sender leaves at once
    engine = create_engine(url)
    try:
        with running_stack(env, tmp_path) as stack:
            pupil = Pupil(port)
            pupil.sign_in("pupil", "demo-pupil-pass")
            form = pupil.worry_form("while the database is away")
            fault = proxy or DiskFull(stack.pids("web")[0])
            fault.cut()
            try:
                status, _, html = pupil.request("POST", "/worry/", form)
                assert status == 503 and "was sent" not in html
                assert "did not send" in html and "tell a grown-up now" in html.lower()
                lesson = pupil.request("GET", "/learn/fixture-passwords/")
                if lesson[0] == 302:  # the first visit to a step writes the pupil's place
                    lesson = pupil.request("GET", urllib.parse.urlsplit(lesson[1]).path)
                assert_calm_retry_page(lesson[0], lesson[2])
                assert Pupil(port).request("GET", "/healthz")[0] == (503 if postgres else 200)
            finally:
                fault.restore()
            assert pupil.request("GET", "/learn/")[0] == 200  # back, with no restart
            location, _ = pupil.send(form)
            assert pupil.request("GET", urllib.parse.urlsplit(location).path)[0] == 200
            assert pupil.send(form)[0] == location  # pressed once more: the same worry
            assert healthy(port)
            assert stack.pids("web") == stack.pids("web")[:1]  # the same server throughout
    finally:
        if proxy:
            proxy.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count(Worry.id)).where(
            Worry.client_token == form["token"])).scalar_one() == 1
    engine.dispose()
    databases.drop(url)


# --- two hosts, one database; one of them killed and restarted by its supervisor -----------


def test_two_hosts_on_one_database_behave_as_one_and_a_killed_one_comes_back(
        databases, tmp_path):
    """Two stacks as two hosts run them, each from the units' lines (deploy/run-stack.sh:
    schema upgrade, its own gunicorn on its own port, its own sender), nothing shared but the
    database and the settings. A session made on one is good on the other; failed sign-ins
    on both add up to one lockout. Host A's web server and sender are killed (SIGKILL, as a
    crash or the OOM killer would): the pupil carries on through host B, A's supervisor
    starts both again, the same session works on A again. Every worry reaches the lead once;
    SIGTERM stops everything, leaving no process behind. On PostgreSQL (scripts/test.sh's
    second run) this is the several-hosts deployment; on SQLite, two servers on one machine
    sharing the file."""
    url = databases.fresh(tmp_path)
    smtp = SMTPServer().start()
    ports = [free_port(), free_port()]
    stacks: list[Stack] = []
    try:
        for i, port in enumerate(ports):
            folder = tmp_path / f"host{i}"
            folder.mkdir()
            stacks.append(Stack(stack_env(url, smtp.port, port, FLASK_OUTBOX_BATCH="2"),
                                folder))
        wait_until(lambda: all(healthy(port) and stack.pids("sender")
                               for stack, port in zip(stacks, ports, strict=True)),
                   120, "both hosts")
        a, b = ports
        pupil = Pupil(a)
        pupil.sign_in("pupil", "demo-pupil-pass")
        for i, port in enumerate([a, b, a, b]):
            pupil.port = port  # the load balancer sends each request anywhere
            pupil.send(pupil.worry_form(f"worry {i}"))
        assert_one_lockout_across(a, b)

        [web], [sender] = stacks[0].pids("web"), stacks[0].pids("sender")
        os.kill(web, signal.SIGKILL)
        os.kill(sender, signal.SIGKILL)
        pupil.port = b  # host A is down: the load balancer sends everyone to B
        pupil.send(pupil.worry_form("while host A is down"))
        wait_until(lambda: len(stacks[0].pids("web")) == 2
                   and len(stacks[0].pids("sender")) == 2, 60, "host A's restarts")
        wait_until(lambda: healthy(a), 60, "host A to answer again")
        pupil.port = a
        assert pupil.request("GET", "/learn/")[0] == 200  # the same session, on the new A
        pupil.send(pupil.worry_form("after host A came back"))

        engine = create_engine(url)
        wait_until(lambda: smtp.messages and unsent(engine) == 0, 60, "the alerts")
        time.sleep(1)  # room for a duplicate to arrive
        engine.dispose()
    finally:
        codes = [stack.stop() for stack in stacks]
        smtp.stop()
    assert codes == [0, 0], [s.output for s in stacks]
    restarted = stacks[0].output
    assert f"web failed (status -{signal.SIGKILL.value}); restarting" in restarted
    assert f"sender failed (status -{signal.SIGKILL.value}); restarting" in restarted
    assert all("Sender stopped." in s.output and "run-stack: stopped" in s.output
               for s in stacks)
    app = create_app(base_config(url))
    with app.app_context():
        worries = list(db.session.scalars(select(Worry).order_by(Worry.id)))
        rows = list(db.session.scalars(select(OutboxEmail)))
        assert len(worries) == 6
        assert_each_lead_hears_of_each_worry_once(list(smtp.messages), rows, worries,
                                                  ["dsl@demo-primary.example"])
        db.session.remove()
        db.engine.dispose()
    senders = {str(pid) for stack in stacks for pid in stack.pids("sender")}
    assert {row.claimed_by.split(":")[1] for row in rows} <= senders  # host:pid:random
    databases.drop(url)


def assert_one_lockout_across(a: int, b: int) -> None:
    """Five wrong passwords spread over both hosts pause the account for any unknown
    client on either host (refused with the same words as a wrong password)."""
    for port in [a, b, a, b, a]:
        intruder = Pupil(port)
        page = intruder.request("GET", "/login")[2]
        assert intruder.request("POST", "/login", {
            "csrf_token": TOKEN.search(page).group(1), "username": "teacher",
            "password": "wrong-password"})[0] == 400
    teacher = Pupil(b)
    page = teacher.request("GET", "/login")[2]
    assert teacher.request("POST", "/login", {
        "csrf_token": TOKEN.search(page).group(1), "username": "teacher",
        "password": "demo-teacher-pass"})[0] == 400
