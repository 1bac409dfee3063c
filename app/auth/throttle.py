"""Failures counted per key in the `throttles` table, to slow guessing without a lock for all.

A key names who is being slowed: "login:client:<address>" (an unknown client), "login:user:12:
dev:<id>" (account 12 on one of its known devices), "pics:34:<device>" (pupil 34 on one
picture-sign-in device), "totp:12". Counting is atomic in the database, so it holds across
workers and hosts; nothing lives in worker memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..db import db, rows_changed, utcnow
from ..models import Throttle


def blocked(key: str, now: datetime | None = None) -> bool:
    until = db.session.scalar(select(Throttle.blocked_until).where(Throttle.key == key))
    return until is not None and until > (now or utcnow())


def fail(key: str, threshold: int, window: timedelta, pause: timedelta,
         now: datetime | None = None) -> bool:
    """Count one failure for ``key``; pause it once ``threshold`` failures fall in ``window``.

    Returns True when the key is paused now. The caller commits.
    """
    now = now or utcnow()
    # Conditional UPDATEs, not read-then-write: every worker counts on the same row at once.
    counted = rows_changed(
        update(Throttle).where(Throttle.key == key, Throttle.window_start > now - window)
        .values(failures=Throttle.failures + 1))
    if not counted:  # no row yet, or its window has passed: start counting again from one
        counted = rows_changed(
            update(Throttle).where(Throttle.key == key).values(failures=1, window_start=now))
    if not counted:
        try:
            with db.session.begin_nested():
                db.session.add(Throttle(key=key, failures=1, window_start=now))
        except IntegrityError:  # another request made the row first: count on it
            db.session.execute(update(Throttle).where(Throttle.key == key)
                               .values(failures=Throttle.failures + 1))
    failures = db.session.scalar(select(Throttle.failures).where(Throttle.key == key))
    if failures is not None and failures >= threshold:
        db.session.execute(update(Throttle).where(Throttle.key == key).values(
            failures=0, window_start=now, blocked_until=now + pause))
        return True
    return False


def clear(*keys: str, prefixes: tuple[str, ...] = ()) -> None:
    """Forget failures for these keys and every key starting with one of ``prefixes``."""
    conditions: list[ColumnElement[bool]] = [Throttle.key.in_(keys)] if keys else []
    conditions += [Throttle.key.startswith(p, autoescape=True) for p in prefixes]
    if conditions:
        db.session.execute(delete(Throttle).where(or_(*conditions)))


def forget_old(now: datetime | None = None, older_than: timedelta = timedelta(days=1)) -> int:
    """Drop rows that neither pause anyone nor count recent failures (cron or sign-in)."""
    now = now or utcnow()
    return rows_changed(delete(Throttle).where(
        Throttle.window_start < now - older_than,
        or_(Throttle.blocked_until.is_(None), Throttle.blocked_until < now),
    ))
