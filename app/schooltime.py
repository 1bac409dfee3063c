"""School time: every time a person sees is in the school's zone (SCHOOL_TIMEZONE, by default
Europe/London, so GMT in winter and BST in summer); every time a person types is read in that
zone and stored in UTC. One Jinja filter, ``school_time``, formats times everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

STYLES = {
    "date": "%-d %B %Y",  # 30 March 2026
    "short": "%-d %b %Y %H:%M",  # 30 Mar 2026 14:05
    "datetime": "%-d %B %Y, %H:%M",  # 30 March 2026, 14:05
    "time": "%H:%M",
    "seconds": "%-d %b %Y %H:%M:%S",
    "input": "%Y-%m-%dT%H:%M",  # for <input type="datetime-local">
}


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("SCHOOL_TIMEZONE") or "Europe/London")


def local(moment: datetime) -> datetime:
    """A stored (UTC) time as the school's clock shows it."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are stored with their zone")
    return moment.astimezone(zone())


def format_time(moment: datetime | date | None, style: str = "short") -> str:
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return moment.strftime(STYLES["date"])
    return local(moment).strftime(STYLES[style])


def from_school_clock(moment: datetime) -> datetime:
    """A time a person typed (no zone: the school's clock) as an aware UTC datetime.

    In the hour that happens twice when the clocks go back, the first (summer) one is meant.
    """
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=zone(), fold=0).astimezone(UTC)


def today() -> date:
    return datetime.now(zone()).date()


def local_date(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return local(value).date()
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


def register(app: Flask) -> None:
    app.add_template_filter(format_time, "school_time")
    app.add_template_filter(school_date, "school_date")
    app.jinja_env.globals["school_today"] = today
