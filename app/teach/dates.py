"""Dates in the school's time zone: stored in UTC, shown (and "today") as the school sees it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from ..db import utcnow


def school_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("SCHOOL_TIMEZONE") or "Europe/London")


def school_today() -> date:
    return utcnow().astimezone(school_zone()).date()


def local_date(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(school_zone()).date()
    return value


def school_date(value: date | datetime | None, style: str = "short") -> str:
    """Jinja filter: '2 Dec 2026' (or 'Wed 2 Dec' with style='day'); '' for no date."""
    day = local_date(value)
    if day is None:
        return ""
    if style == "day":
        return f"{day:%a} {day.day} {day:%b}"
    if style == "iso":
        return day.isoformat()
    return f"{day.day} {day:%b %Y}"
