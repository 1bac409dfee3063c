"""Slow down guessing: failures counted per key in the database (so every worker and host
agrees), a pause once a key has failed too often in a window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow
from ..models import Throttle


def paused(key: str) -> bool:
    row = db.session.get(Throttle, key)
    return row is not None and row.blocked_until is not None and row.blocked_until > utcnow()


def fail(key: str, limit: int, minutes: int) -> None:
    """Count a failure now, in its own small transaction (it must survive a rollback)."""
    now = utcnow()
    row = db.session.get(Throttle, key)
    if row is None:
        row = Throttle(key=key, failures=0, window_start=now)
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:  # another request made it first
            db.session.rollback()
            row = db.session.get(Throttle, key)
            assert row is not None
    if row.window_start < now - timedelta(minutes=minutes):
        row.failures, row.window_start = 0, now
    row.failures += 1
    if row.failures >= limit:
        row.blocked_until = now + timedelta(minutes=minutes)
        row.failures, row.window_start = 0, now
    db.session.commit()


def clear(key: str) -> None:
    row = db.session.get(Throttle, key)
    if row is not None:
        db.session.delete(row)
