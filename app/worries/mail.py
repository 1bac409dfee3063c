"""Delivering the outbox over SMTP, from the sender process only (never inside a web request).

Claim, then send, as job queues run a transactional outbox: a sender marks a batch of due rows
as its own until ``claimed_until`` in one atomic statement (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``; SQLite: a conditional UPDATE, which SQLite runs under its single write lock), sends
them over one SMTP connection and marks each sent only while its claim still holds. Two senders
(several hosts, a cron run overlapping ``--watch``) never hold the same row. A claim left by a
sender that died mid-send expires and the row is sent again later: at least once, with a stable
Message-ID per row so the resend is recognisable.

Failures are logged with the outbox id and the error class (and SMTP code), never the content
or the address; the row keeps the same short summary and backs off.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import Flask
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from ..db import db, rows_changed, table_of, utcnow
from ..models import OutboxEmail

log = logging.getLogger("app.outbox")

MAX_BACKOFF_MINUTES = 60
# Settings read with app.config.get(key, default), so FLASK_OUTBOX_... can override each one.
DEFAULTS = {
    "OUTBOX_BATCH": 20,  # rows claimed at once by one sender
    "OUTBOX_CLAIM_SECONDS": 300,  # how long a claim holds; a crashed sender's rows wait this long
    "OUTBOX_POLL_SECONDS": 5,  # `send-outbox --watch`: how often it looks for due rows
    "OUTBOX_LATE_SECONDS": 300,  # an unsent alert this old means delivery is not working
    "REMINDER_CHECK_SECONDS": 60,  # `send-outbox --watch`: how often it queues reminders
}
_REMINDER_LOCK = 0x6F757462  # PostgreSQL advisory lock key: one sender queues reminders at once

# Counted in the sender process since it started, logged with every summary line.
counts: Counter[str] = Counter()


def setting(app: Flask, key: str) -> int | float:
    value: int | float = app.config.get(key, DEFAULTS[key])
    return value


def smtp_configured(app: Flask) -> bool:
    return bool(app.config.get("SMTP_HOST"))


def sender_name() -> str:
    """Who holds a claim: host, process and a random part (a restarted pid is another sender)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def message_id_for(app: Flask, row: OutboxEmail) -> str:
    """A stable Message-ID per outbox row: <outbox-ID.SCHOOL@domain of MAIL_FROM>."""
    address = parseaddr(app.config.get("MAIL_FROM", ""))[1]
    domain = address.rpartition("@")[2] or "localhost"
    return f"<outbox-{row.id}.{row.school_id}@{domain}>"


def error_summary(exc: BaseException) -> str:
    """The error class and SMTP code(s): never the server's text, which can echo an address."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        return f"{name} {','.join(codes)}".strip()
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} {exc.smtp_code}"
    return name


# --- claiming -------------------------------------------------------------------------------


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    t = table_of(OutboxEmail).c
    return (t.sent_at.is_(None), t.next_attempt_at <= now,
            or_(t.claimed_until.is_(None), t.claimed_until < now))


def claim_due(app: Flask, sender: str, batch: int | None = None) -> list[OutboxEmail]:
    """Atomically claim up to ``batch`` due rows for ``sender``; return them, committed."""
    table = table_of(OutboxEmail)
    now = utcnow()
    until = now + timedelta(seconds=float(setting(app, "OUTBOX_CLAIM_SECONDS")))
    due = (select(table.c.id).where(*_claimable(now)).order_by(table.c.id)
           .limit(int(batch or setting(app, "OUTBOX_BATCH"))))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # The outer WHERE repeats the conditions: the claim holds only if the row is still free
    # at the moment it is written.
    ids = list(db.session.scalars(
        update(table).where(table.c.id.in_(due.scalar_subquery()), *_claimable(now))
        .values(claimed_until=until, claimed_by=sender).returning(table.c.id)))
    if not ids:
        db.session.commit()
        return []
    rows = list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(ids))
                                   .order_by(OutboxEmail.id)))
    for row in rows:
        if row.message_id is None:
            row.message_id = message_id_for(app, row)
    db.session.commit()
    return rows


def _release(rows: list[OutboxEmail], sender: str) -> None:
    """Give back claims this sender will not use now (no attempt counted)."""
    table = table_of(OutboxEmail)
    if rows:
        db.session.execute(update(table).where(table.c.id.in_([r.id for r in rows]),
                                               table.c.claimed_by == sender,
                                               table.c.sent_at.is_(None))
                           .values(claimed_until=None))
        db.session.commit()


def _mark_sent(row: OutboxEmail, sender: str) -> bool:
    table = table_of(OutboxEmail)
    changed = rows_changed(
        update(table).where(table.c.id == row.id, table.c.claimed_by == sender)
        .values(sent_at=utcnow(), attempts=table.c.attempts + 1, last_error=None,
                claimed_until=None))
    db.session.commit()
    return changed == 1


def _mark_failed(row: OutboxEmail, exc: BaseException, sender: str) -> None:
    attempts = row.attempts + 1
    wait = timedelta(minutes=min(2 ** (attempts - 1), MAX_BACKOFF_MINUTES))
    summary = error_summary(exc)
    table = table_of(OutboxEmail)
    db.session.execute(
        update(table).where(table.c.id == row.id, table.c.claimed_by == sender,
                            table.c.sent_at.is_(None))
        .values(attempts=attempts, last_error=summary[:300], next_attempt_at=utcnow() + wait,
                claimed_until=None))
    db.session.commit()
    counts["failed"] += 1
    log.warning("outbox %s not delivered: %s (attempt %d; next try in %d s)",
                row.id, summary, attempts, wait.total_seconds())


# --- sending --------------------------------------------------------------------------------


def deliver_outbox(app: Flask, limit: int = 200, sender: str | None = None,
                   stop: threading.Event | None = None) -> tuple[int, int]:
    """Claim and send what is due, batch by batch; return (sent, failed).

    Safe to run in several processes and hosts at once: each row is sent by one of them.
    """
    if not smtp_configured(app):
        return 0, 0
    sender = sender or sender_name()
    sent = failed = handled = 0
    while handled < limit and not (stop and stop.is_set()):
        rows = claim_due(app, sender, min(int(setting(app, "OUTBOX_BATCH")), limit - handled))
        if not rows:
            break
        handled += len(rows)
        s, f = _send_claimed(app, rows, sender)
        sent, failed = sent + s, failed + f
    return sent, failed


def _send_claimed(app: Flask, rows: list[OutboxEmail], sender: str) -> tuple[int, int]:
    # Stop sending well before the claim ends, so no other sender can have taken a row we send.
    deadline = time.monotonic() + float(setting(app, "OUTBOX_CLAIM_SECONDS")) * 0.8
    try:
        server = _connect(app)
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _mark_failed(row, exc, sender)
        return 0, len(rows)
    try:
        return _send_rows(app, server, rows, sender, deadline)
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def _send_rows(app: Flask, server: smtplib.SMTP, rows: list[OutboxEmail], sender: str,
               deadline: float) -> tuple[int, int]:
    """Send claimed rows over one connection until done, the deadline, or the line drops."""
    sent = failed = 0
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            _release(rows[index:], sender)
            break
        try:
            server.send_message(_message(app, row))
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
            _mark_failed(row, exc, sender)  # refused (4xx/5xx): go on with the next row
            failed += 1
        except (OSError, smtplib.SMTPException) as exc:  # connection gone: all the rest
            for rest in rows[index:]:
                _mark_failed(rest, exc, sender)
            failed += len(rows) - index
            break
        else:
            if _mark_sent(row, sender):
                sent += 1
                counts["sent"] += 1
            else:  # cannot happen while the deadline holds; say so if it ever does
                log.error("outbox %s sent after its claim was lost", row.id)
    return sent, failed


def _message(app: Flask, row: OutboxEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = row.message_id or message_id_for(app, row)
    message.set_content(row.body)
    return message


def _connect(app: Flask) -> smtplib.SMTP:
    """Open the SMTP connection; the timeout bounds the connect and every read and write."""
    host, port = app.config["SMTP_HOST"], int(app.config.get("SMTP_PORT", 25))
    timeout = float(app.config.get("SMTP_TIMEOUT", 5))
    if app.config.get("SMTP_SSL"):
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
        if app.config.get("SMTP_STARTTLS"):
            server.starttls(context=ssl.create_default_context())
    if app.config.get("SMTP_USERNAME"):
        server.login(app.config["SMTP_USERNAME"], app.config.get("SMTP_PASSWORD", ""))
    return server


# --- reminders and the watching sender ------------------------------------------------------


@contextmanager
def _one_sender_at_a_time() -> Iterator[None]:
    """Serialise a read-then-insert across senders: the transaction starts holding a lock."""
    db.session.commit()  # the lock must be the first thing the transaction takes
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REMINDER_LOCK})
    elif bind.dialect.name == "sqlite":
        db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise


def queue_reminders() -> int:
    """Queue reminders for unread worries; two senders at once queue each reminder once."""
    from .service import enqueue_reminders

    with _one_sender_at_a_time():
        return enqueue_reminders()  # commits, which releases the lock


def watch(app: Flask, stop: threading.Event, poll: float | None = None) -> None:
    """Send due rows every ``poll`` seconds and queue reminders on schedule, until ``stop``.

    A database or SMTP outage is logged and retried on the next round; it never ends the loop.
    """
    poll = float(poll if poll is not None else setting(app, "OUTBOX_POLL_SECONDS"))
    every = float(setting(app, "REMINDER_CHECK_SECONDS"))
    sender = sender_name()
    next_reminders = 0.0
    log.info("sender %s watching the outbox every %.1f s", sender, poll)
    while not stop.is_set():
        try:
            if time.monotonic() >= next_reminders:
                queued = queue_reminders()
                next_reminders = time.monotonic() + every
                if queued:
                    log.info("queued %d reminder(s)", queued)
            sent, failed = deliver_outbox(app, sender=sender, stop=stop)
            if sent or failed:
                log.info("sent %d, failed %d (since start: sent %d, failed %d)", sent, failed,
                         counts["sent"], counts["failed"])
        except SQLAlchemyError as exc:
            counts["database_errors"] += 1
            log.warning("outbox round skipped, database error: %s", type(exc).__name__)
        finally:
            db.session.remove()
        stop.wait(poll)
    log.info("sender %s stopped", sender)


# --- what staff and monitors see ------------------------------------------------------------


def delivery_problem(school_id: int, app: Flask | None = None) -> datetime | None:
    """When alerts for this school stopped being delivered, or None when they are flowing.

    An unsent alert that has failed at least once, or that has waited longer than
    OUTBOX_LATE_SECONDS (no sender running), means a problem since it was created.
    Nothing while email is switched off (no SMTP_HOST): then nobody expects email.
    """
    from flask import current_app

    app = app or current_app
    if not smtp_configured(app):
        return None
    late = utcnow() - timedelta(seconds=float(setting(app, "OUTBOX_LATE_SECONDS")))
    return db.session.scalar(
        select(func.min(OutboxEmail.created_at)).where(
            OutboxEmail.school_id == school_id, OutboxEmail.sent_at.is_(None),
            or_(OutboxEmail.attempts > 0, OutboxEmail.created_at < late)))


def oldest_unsent_age() -> float | None:
    """Seconds the oldest unsent email has waited (all schools), or None when none waits."""
    oldest = db.session.scalar(select(func.min(OutboxEmail.created_at))
                               .where(OutboxEmail.sent_at.is_(None)))
    return None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


def failing_count() -> int:
    """Unsent emails that have failed at least once."""
    return db.session.scalar(select(func.count(OutboxEmail.id)).where(
        OutboxEmail.sent_at.is_(None), OutboxEmail.attempts > 0)) or 0
