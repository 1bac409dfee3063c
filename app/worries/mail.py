"""Delivering the outbox over SMTP: kept until the server accepts each message, with back-off."""

from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import select

from ..db import db, utcnow
from ..models import OutboxEmail

MAX_BACKOFF_MINUTES = 60


def smtp_configured(app: Flask) -> bool:
    return bool(app.config.get("SMTP_HOST"))


def deliver_outbox(app: Flask, limit: int = 200) -> tuple[int, int]:
    """Send what is due; return (sent, failed). Safe to run from cron and after a request."""
    if not smtp_configured(app):
        return 0, 0
    now = utcnow()
    due = list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.sent_at.is_(None),
                                  OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.id).limit(limit)))
    if not due:
        return 0, 0
    sent = failed = 0
    try:
        server = _connect(app)
    except (OSError, smtplib.SMTPException) as exc:
        for row in due:
            _failed(row, exc, now)
        db.session.commit()
        return 0, len(due)
    try:
        for row in due:
            message = EmailMessage()
            message["From"] = app.config["MAIL_FROM"]
            message["To"] = row.to_address
            message["Subject"] = row.subject
            message.set_content(row.body)
            try:
                server.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, exc, now)
                failed += 1
            else:
                row.sent_at = utcnow()
                row.attempts += 1
                row.last_error = None
                sent += 1
            db.session.commit()
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent, failed


def _connect(app: Flask) -> smtplib.SMTP:
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


def _failed(row: OutboxEmail, exc: Exception, now) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:300]
    row.next_attempt_at = now + timedelta(minutes=min(2 ** (row.attempts - 1),
                                                      MAX_BACKOFF_MINUTES))
