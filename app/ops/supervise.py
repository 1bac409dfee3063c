"""Run the production stack without systemd, from the units' own lines, restarting what fails.

``python -m app.ops.supervise [--check]`` (``deploy/run-stack.sh`` calls it, after reading
ENV_FILE) reads ``deploy/systemd/safe-online-web.service`` and ``-sender.service``: their
``Environment=`` defaults, ``ExecStartPre`` and ``ExecStart`` lines (``/opt/safe-online``
replaced by this checkout, ``${VAR}`` from the environment) and ``Restart=on-failure`` with
``RestartSec``. It runs the schema upgrade, then gunicorn and the sender, each in its own
process group (systemd's cgroup), and does what systemd would:

- a process that exits with an error or is killed by a signal other than SIGTERM/SIGINT/
  SIGHUP/SIGPIPE is restarted after RestartSec (``SAFE_ONLINE_RESTART_SEC`` overrides it),
  once the rest of its group is gone (``KillMode=mixed``: nothing of the old one lingers);
- a clean exit (status 0) is not restarted: the sender leaves at once when email is off;
- SIGTERM or Ctrl+C stops every service (SIGTERM, then SIGKILL after TimeoutStopSec).

With ``--check`` it starts the stack, waits for ``/healthz`` to answer 200, and stops.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/safe-online"
# systemd's Restart=on-failure leaves a service stopped after these (a clean stop).
CLEAN_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE}


def say(message: str) -> None:
    print(f"run-stack: {message}", flush=True)


@dataclass
class Unit:
    """The lines of one systemd unit that say what to run and how to restart it."""

    name: str
    lines: dict[str, list[str]]

    @classmethod
    def read(cls, path: Path) -> Unit:
        lines: dict[str, list[str]] = {}
        for raw in path.read_text().splitlines():
            if "=" in raw and not raw.lstrip().startswith(("#", ";", "[")):
                key, value = raw.split("=", 1)
                lines.setdefault(key.strip(), []).append(value.strip())
        name = path.name.removeprefix("safe-online-").removesuffix(".service")
        return cls(name, lines)

    def first(self, key: str, default: str) -> str:
        return self.lines.get(key, [default])[0]

    def environment_defaults(self) -> dict[str, str]:
        pairs = (line.split("=", 1) for line in self.lines.get("Environment", []))
        return {key: value for key, value in pairs}

    def commands(self, key: str) -> list[list[str]]:
        return [expand(line) for line in self.lines.get(key, [])]

    def restart_seconds(self) -> float:
        override = os.environ.get("SAFE_ONLINE_RESTART_SEC")
        return float(override or self.first("RestartSec", "0"))

    def restarts_on_failure(self) -> bool:
        return self.first("Restart", "no") in ("on-failure", "always")

    def stop_timeout(self) -> float:
        return float(self.first("TimeoutStopSec", "90"))


def expand(line: str) -> list[str]:
    """A unit's command line as argv: this checkout for /opt/safe-online, ${VAR} filled in."""
    line = line.replace(INSTALLED, str(ROOT))
    line = re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), line)
    return shlex.split(line)


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group (zombies left to a slow reaper do not count)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:  # state, ppid, pgrp
            members.append(int(entry.name))
    return members


def failed(returncode: int) -> bool:
    """systemd's "failure" for Restart=on-failure: an error status or an unclean signal."""
    if returncode < 0:
        return signal.Signals(-returncode) not in CLEAN_SIGNALS
    return returncode != 0


@dataclass
class Service:
    unit: Unit
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    history: list[int] = field(default_factory=list)

    def start(self) -> None:
        argv = self.unit.commands("ExecStart")[0]
        self.process = subprocess.Popen(argv, cwd=ROOT, start_new_session=True)
        self.starts += 1
        say(f"{self.unit.name} (pid {self.process.pid}) started"
            + (f" again (start {self.starts})" if self.starts > 1 else ""))

    def kill_group(self, sig: int) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def group_gone(self) -> bool:
        return self.process is None or not group_members(self.process.pid)

    def clear_group(self, timeout: float) -> None:
        """What systemd does to the cgroup when the main process has ended."""
        self.kill_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while not self.group_gone() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kill_group(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.clear_group(1.0)
            return
        self.process.send_signal(signal.SIGTERM)  # KillMode=mixed: the main process first
        try:
            self.process.wait(timeout=self.unit.stop_timeout())
        except subprocess.TimeoutExpired:
            self.kill_group(signal.SIGKILL)
            self.process.wait()
        self.clear_group(1.0)


class Supervisor:
    def __init__(self, names: tuple[str, ...] = ("web", "sender")) -> None:
        self.services = [Service(Unit.read(UNITS / f"safe-online-{n}.service")) for n in names]
        self.stopping = threading.Event()

    def prepare(self) -> None:
        """Environment defaults, then every ExecStartPre line in order (the schema upgrade)."""
        for service in self.services:
            for key, value in service.unit.environment_defaults().items():
                os.environ.setdefault(key, value)
        for service in self.services:
            for argv in service.unit.commands("ExecStartPre"):
                subprocess.run(argv, cwd=ROOT, check=True)

    def start(self) -> None:
        for service in self.services:
            service.start()

    def watch_once(self) -> None:
        """Restart every service whose main process ended with a failure."""
        for service in self.services:
            process = service.process
            if process is None or process.poll() is None or self.stopping.is_set():
                continue
            code = process.returncode
            service.history.append(code)
            service.clear_group(service.unit.stop_timeout())
            service.process = None
            if not (failed(code) and service.unit.restarts_on_failure()):
                say(f"{service.unit.name} ended (status {code}); not restarted")
                continue
            wait = service.unit.restart_seconds()
            say(f"{service.unit.name} failed (status {code}); restarting in {wait:g} s")
            if not self.stopping.wait(wait):
                service.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.watch_once()
            self.stopping.wait(0.2)

    def stop(self) -> None:
        self.stopping.set()
        for service in self.services:
            service.stop()


def wait_healthy(url: str, web: Service, tries: int = 240) -> dict[str, object] | None:
    for _ in range(tries):
        if web.process is None or web.process.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body: dict[str, object] = json.loads(response.read())
                return body
        except OSError:
            time.sleep(0.25)
    return None


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    supervisor = Supervisor()
    try:
        supervisor.prepare()
    except subprocess.CalledProcessError as exc:
        say(f"{' '.join(exc.cmd)} failed (status {exc.returncode}); nothing started")
        return 1
    signal.signal(signal.SIGTERM, lambda signum, frame: supervisor.stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: supervisor.stopping.set())
    supervisor.start()
    web, sender = supervisor.services
    try:
        url = f"http://{os.environ['SAFE_ONLINE_BIND']}/healthz"
        body = wait_healthy(url, web)
        if body is None:
            say(f"{url} did not answer 200")
            return 1
        say(f"web (pid {web.process.pid if web.process else '?'}) answers at {url}: "
            f"{json.dumps(body)}")
        if not os.environ.get("FLASK_SMTP_HOST"):
            say("FLASK_SMTP_HOST is not set: email is off, the sender has nothing to do")
        elif sender.process is not None and sender.process.poll() is None:
            say(f"sender (pid {sender.process.pid}) running")
        if check_only:
            return 0
        say("running; a failed service is restarted; Ctrl+C or SIGTERM stops them all")
        supervisor.run()
        return 0
    finally:
        supervisor.stop()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
