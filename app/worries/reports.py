"""The report for leaders and governors: counts by kind, source, class and month, time to
first read and to close, open actions, and the lessons taught alongside. Numbers from 1 to 4
are shown as "fewer than 5" so no child can be picked out. A fixed number of queries."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import aliased

from ..db import db
from ..models import (
    WORRY_KINDS,
    LessonProgress,
    Pupil,
    SchoolClass,
    Worry,
    WorryEntry,
)
from ..schooltime import from_school_clock, local_date
from .desk import overdue_actions

SMALL = 5


def shown(count: int) -> str:
    """A count as the report prints it: 1 to 4 become "fewer than 5"."""
    return f"fewer than {SMALL}" if 0 < count < SMALL else str(count)


@dataclass
class Month:
    label: str
    total: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    lessons: set[str] = field(default_factory=set)


@dataclass
class GovernorsReport:
    starts: date
    ends: date
    total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    by_class: Counter[str] = field(default_factory=Counter)
    months: dict[str, Month] = field(default_factory=dict)
    hours_to_read: float | None = None
    days_to_close: float | None = None
    open_actions: int = 0
    overdue_actions: int = 0


def school_year_start(on: date) -> date:
    return date(on.year if on.month >= 9 else on.year - 1, 9, 1)


def _bounds(starts: date, ends: date) -> tuple[datetime, datetime]:
    return (from_school_clock(datetime.combine(starts, time())),
            from_school_clock(datetime.combine(ends + timedelta(days=1), time())))


def governors_report(school_id: int, starts: date, ends: date) -> GovernorsReport:
    report = GovernorsReport(starts, ends)
    since, until = _bounds(starts, ends)
    for row in _worry_rows(school_id, since, until):
        _count(report, row)
    read = [(r.read_at - r.created_at).total_seconds() / 3600
            for r in _timings(school_id, since, until) if r.read_at]
    closed = [(r.closed_at - r.created_at).total_seconds() / 86400
              for r in _timings(school_id, since, until) if r.closed_at]
    report.hours_to_read = round(median(read), 1) if read else None
    report.days_to_close = round(median(closed), 1) if closed else None
    report.open_actions, report.overdue_actions = _action_counts(school_id)
    _lessons(report, school_id, since, until)
    return report


def _worry_rows(school_id: int, since: datetime, until: datetime) -> list[Row[Any]]:
    about, reporter = aliased(Pupil), aliased(Pupil)
    about_class, reporter_class = aliased(SchoolClass), aliased(SchoolClass)
    return list(db.session.execute(
        select(Worry.created_at, Worry.kind, Worry.source,
               func.coalesce(about_class.name, reporter_class.name).label("class_name"))
        .select_from(Worry)
        .outerjoin(about, about.id == Worry.about_pupil_id)
        .outerjoin(reporter, and_(reporter.user_id == Worry.raised_by_id,
                                  Worry.source == "pupil"))
        .outerjoin(about_class, about_class.id == about.class_id)
        .outerjoin(reporter_class, reporter_class.id == reporter.class_id)
        .where(Worry.school_id == school_id, Worry.created_at >= since,
               Worry.created_at < until)))


def _count(report: GovernorsReport, row: Row[Any]) -> None:
    created: datetime = row.created_at
    kind: str = row.kind
    report.total += 1
    report.by_kind[kind] += 1
    report.by_source[row.source] += 1
    report.by_class[row.class_name or "Not named"] += 1
    day = local_date(created) or created.date()
    key = f"{day:%Y-%m}"
    month = report.months.setdefault(key, Month(f"{day:%B %Y}"))
    month.total += 1
    month.kinds[kind] += 1


def _timings(school_id: int, since: datetime, until: datetime) -> list[Row[Any]]:
    read, status = aliased(WorryEntry), aliased(WorryEntry)
    first_read = select(func.min(read.created_at)).where(
        read.worry_id == Worry.id, read.kind == "read").correlate(Worry).scalar_subquery()
    closed = select(func.max(status.created_at)).where(
        status.worry_id == Worry.id, status.kind == "status", status.status == "closed") \
        .correlate(Worry).scalar_subquery()
    return list(db.session.execute(
        select(Worry.created_at, first_read.label("read_at"), closed.label("closed_at"))
        .where(Worry.school_id == school_id, Worry.created_at >= since,
               Worry.created_at < until)))


def _action_counts(school_id: int) -> tuple[int, int]:
    done = aliased(WorryEntry)
    open_count = db.session.scalar(select(func.count(WorryEntry.id)).where(
        WorryEntry.school_id == school_id, WorryEntry.kind == "action",
        WorryEntry.due_on.is_not(None),
        ~select(done.id).where(done.kind == "done", done.refers_id == WorryEntry.id)
        .exists())) or 0
    return open_count, len(overdue_actions(school_id, limit=10_000))


def _lessons(report: GovernorsReport, school_id: int, since: datetime,
             until: datetime) -> None:
    """The lessons pupils finished each month, beside that month's worries."""
    catalogue = current_app.extensions.get("catalogue")
    rows = db.session.execute(select(LessonProgress.lesson_slug, LessonProgress.completed_at)
                              .where(LessonProgress.school_id == school_id,
                                     LessonProgress.completed_at >= since,
                                     LessonProgress.completed_at < until))
    for slug, completed in rows:
        day = local_date(completed)
        if day is None:  # not possible with the filter above; keeps the type honest
            continue
        month = report.months.setdefault(f"{day:%Y-%m}", Month(f"{day:%B %Y}"))
        lesson = catalogue.lesson(slug) if catalogue is not None else None
        month.lessons.add(lesson.title if lesson is not None else slug)


def report_csv(report: GovernorsReport) -> str:
    """The same numbers as the printable page, small ones suppressed the same way."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "count"])
    writer.writerow(["period", f"{report.starts.isoformat()} to {report.ends.isoformat()}",
                     shown(report.total)])
    for section, counts, names in (("kind", report.by_kind, WORRY_KINDS),
                                   ("source", report.by_source,
                                    {"pupil": "Pupil", "staff": "Staff"}),
                                   ("class", report.by_class, {})):
        for key, value in sorted(counts.items()):
            writer.writerow([section, names.get(key, key), shown(value)])
    for _key, month in sorted(report.months.items()):
        writer.writerow(["month", month.label, shown(month.total)])
    writer.writerow(["timing", "median hours from raise to first read",
                     "" if report.hours_to_read is None else report.hours_to_read])
    writer.writerow(["timing", "median days from raise to close",
                     "" if report.days_to_close is None else report.days_to_close])
    writer.writerow(["actions", "open actions with a due date", shown(report.open_actions)])
    writer.writerow(["actions", "overdue actions", shown(report.overdue_actions)])
    return out.getvalue()
