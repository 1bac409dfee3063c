"""Alert benchmarks (DESIGN.md section 7: each alert emailed exactly once, within a minute,
with no SMTP inside a web request). Not part of the test run.

    .venv/bin/python -m bench.alerts              # both, printed and added to bench/results/
    .venv/bin/python -m bench.alerts burst        # or: hanging
    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/postgres \
        .venv/bin/python -m bench.alerts

burst:   100 pupils send 200 worries at the same moment through gunicorn with 4 workers while
         two senders (`send-outbox --watch`, as two hosts would run) overlap; every worry
         stored once, each lead hears of each worry in exactly one email (its own alert or one
         combined alert for that pupil), and the time until the last one.
hanging: lesson page latency with the SMTP server hanging (accepts, never answers) and the
         sender running and stuck on it, against no SMTP at all, same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .run import (
    REPO,
    RESULTS,
    TOKEN,
    VENV_BIN,
    Session,
    _burst,
    _raw_post,
    database_kind,
    demo_app,
    gunicorn,
    server_cpu_seconds,
)

sys.path.insert(0, str(REPO))


def _sender(env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(VENV_BIN / "flask"), "send-outbox", "--watch", "--poll", "0.5"],
                            cwd=REPO, env={**os.environ, "FLASK_APP": "app", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _add_pupils_and_a_deputy(app, pupils: int) -> None:
    from sqlalchemy import select

    from app.auth.service import hash_password
    from app.db import db
    from app.demo import add_pupils
    from app.models import School, SchoolClass, StaffRole, User

    with app.app_context():
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.year_group == 5))
        add_pupils(klass, pupils, "bench", hash_password("bench-pass"), accepted=True)
        school = db.session.scalar(select(School))
        deputy = User(school_id=school.id, kind="staff", username="deputy",
                      display_name="Deputy Lead", email="deputy@demo-primary.example")
        db.session.add(deputy)
        db.session.flush()
        db.session.add(StaffRole(user_id=deputy.id, role="safeguarding_lead"))
        db.session.commit()


def _unsent(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM outbox_emails WHERE sent_at IS NULL"
                                  )).scalar_one()
    engine.dispose()
    return int(count)


def bench_burst(tmp: Path) -> dict:
    from sqlalchemy import create_engine, text

    from tests.smtp import SMTPServer

    app, url = demo_app(tmp)
    _add_pupils_and_a_deputy(app, 100)
    smtp = SMTPServer().start()
    env = {"DATABASE_URL": url, "FLASK_SECRET_KEY": "bench-secret",
           "FLASK_SMTP_HOST": "127.0.0.1", "FLASK_SMTP_PORT": str(smtp.port),
           "FLASK_PUBLIC_URL": "https://school.test"}
    senders = []
    try:
        with gunicorn("app.ops.wsgi:app", env, workers=4, threads=1) as port:
            sessions = []
            for i in range(100):
                s = Session(port)
                s.sign_in(f"bench{i}", "bench-pass")
                sessions.append(s)
            requests = []
            for s in sessions + sessions:  # two worries per pupil, each its own form
                page = s.get("/worry/")
                requests.append(_raw_post(s, "/worry/", {
                    "csrf_token": TOKEN.search(page).group(1),
                    "token": re.search(r'name="token" value="(\w+)"', page).group(1),
                    "step": "3", "kind": "unkind", "talk": "yes", "from": "/learn/"}))
            senders = [_sender(env), _sender(env)]
            time.sleep(2)  # both senders up and polling
            start = time.monotonic()
            times, codes = asyncio.run(_burst(port, requests))
            burst_done = time.monotonic()
            deadline = start + 120
            while _unsent(url) and time.monotonic() < deadline:
                time.sleep(0.1)
            last = time.monotonic()
            time.sleep(3)  # room for any duplicate to arrive
    finally:
        for p in senders:
            p.terminate()
            p.wait(timeout=30)
        smtp.stop()
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM worries")).scalar()
        rows = conn.execute(text("SELECT message_id, to_address, worry_id FROM outbox_emails"
                                 " WHERE purpose = 'alert'")).all()
        worries = conn.execute(text("SELECT id, raised_by_id FROM worries")).all()
    engine.dispose()
    # The alert rule (docs/deployment.md): each lead hears of each worry in exactly one
    # email, its own alert or one combined alert counting that pupil's worries.
    from tests.test_faults import assert_each_lead_hears_of_each_worry_once

    try:
        assert_each_lead_hears_of_each_worry_once(list(smtp.messages), list(rows),
                                                  list(worries), sorted({r.to_address
                                                                         for r in rows}))
        exactly_once = True
    except AssertionError:
        exactly_once = False
    return {"worries_sent": 200, "stored": stored, "all_302": set(codes) == {302},
            "outbox_rows": len(rows), "emails": len(smtp.messages), "leads": 2,
            "each_lead_hears_of_each_worry_once": exactly_once,
            "senders": 2, "workers": "4 sync",
            "submit_p99_ms": round(statistics.quantiles(times, n=100)[-1], 1),
            "last_email_after_burst_s": round(last - burst_done, 2),
            "budget": "each alert exactly once, within a minute",
            "pass": stored == 200 and exactly_once and last - burst_done < 60}


class _Hanging:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def _lesson_latencies(port: int, n: int = 300) -> tuple[list[float], float]:
    """Wall-clock ms of n lesson-page loads, and the server's CPU ms per load."""
    s = Session(port)
    s.sign_in("pupil", "demo-pupil-pass")
    path = "/learn/"
    s.get(path)
    times = []
    cpu_before = server_cpu_seconds(port)
    for _ in range(n):
        started = time.perf_counter()
        status, _, _ = s.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return times, (server_cpu_seconds(port) - cpu_before) * 1000 / n


def bench_hanging(tmp: Path) -> dict:
    """The same pupil, the same worry waiting in the outbox, a sender running: once with a
    working SMTP server, once with one that hangs; rounds interleaved to spread the noise of
    a shared machine. Server CPU per page is reported beside the wall-clock figures."""
    from tests.smtp import SMTPServer

    app, url = demo_app(tmp)
    hanging = _Hanging()
    working = SMTPServer().start()
    ports = {"working_smtp": working.port, "hanging_smtp": hanging.port}
    samples: dict[str, list[float]] = {k: [] for k in ports}
    cpu: dict[str, list[float]] = {k: [] for k in ports}
    try:
        for label in ["working_smtp", "hanging_smtp"] * 2:
            env = {"DATABASE_URL": url, "FLASK_SECRET_KEY": "bench-secret",
                   "FLASK_SMTP_HOST": "127.0.0.1", "FLASK_SMTP_PORT": str(ports[label]),
                   "FLASK_SMTP_TIMEOUT": "60"}
            sender = _sender(env)
            try:
                with gunicorn("app.ops.wsgi:app", env, workers=2, threads=1) as port:
                    s = Session(port)  # a worry for the sender to be busy (or stuck) with
                    s.sign_in("pupil", "demo-pupil-pass")
                    page = s.get("/worry/")
                    s.request("POST", "/worry/", {
                        "csrf_token": TOKEN.search(page).group(1),
                        "token": re.search(r'name="token" value="(\w+)"', page).group(1),
                        "step": "3", "kind": "unkind", "talk": "yes", "from": "/learn/"})
                    time.sleep(2)
                    times, cpu_ms = _lesson_latencies(port)
                    samples[label] += times
                    cpu[label].append(cpu_ms)
            finally:
                sender.terminate()
                sender.wait(timeout=90)
        stuck = len(hanging.conns)
    finally:
        hanging.close()
        working.stop()
    out = {label: {"p50_ms": round(statistics.median(t), 2),
                   "p95_ms": round(statistics.quantiles(t, n=20)[-1], 2),
                   "server_cpu_ms_per_page": round(statistics.mean(cpu[label]), 2)}
           for label, t in samples.items()}
    ratio = out["hanging_smtp"]["p95_ms"] / max(0.01, out["working_smtp"]["p95_ms"])
    cpu_ratio = (out["hanging_smtp"]["server_cpu_ms_per_page"]
                 / max(0.01, out["working_smtp"]["server_cpu_ms_per_page"]))
    return {**out, "sender_connections_to_hanging_server": stuck,
            "p95_ratio": round(ratio, 2), "cpu_ratio": round(cpu_ratio, 2),
            "budget": "no SMTP in a web request: lesson pages at their normal speed",
            "pass": stuck >= 1 and ratio < 1.5}


BENCHES = {"burst": bench_burst, "hanging": bench_hanging}


def main(names: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    results = {}
    suffix = "" if database_kind() == "sqlite" else f"-{database_kind()}"
    for name in names or list(BENCHES):
        with tempfile.TemporaryDirectory() as tmp:
            results["alerts-" + name + suffix] = {"database": database_kind(),
                                                  **BENCHES[name](Path(tmp))}
        print("alerts-" + name + suffix, json.dumps(results["alerts-" + name + suffix]))
    path = RESULTS / f"{time.strftime('%Y-%m-%d')}.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, **results}, indent=2) + "\n")
    return 0 if all(r.get("pass") for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
