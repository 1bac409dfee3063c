"""The lead's desk: the inbox, the audit log, chronology and retention, filtered and paged in
SQL, so a school with ten years of records opens them with the same few queries as a new one.
Also what a lead's home shows (unread worries, overdue actions) and the overdue reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, lazyload

from ..db import db, utcnow
from ..models import (
    ACTIONS,
    AuditEvent,
    OutboxEmail,
    Pupil,
    SchoolClass,
    User,
    Worry,
    WorryEntry,
)
from ..schooltime import local_date, today
from .service import retain_until, worry_link

T = TypeVar("T")
Select = Any  # a statement being built (SQLAlchemy's Select is generic over its columns)
PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _page(query: Select, page: int, per_page: int) -> tuple[Select, int, int]:
    """The count of ``query`` and the query limited to one page (page clamped to the last)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None)
                                                               .subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return query.limit(per_page).offset((page - 1) * per_page), page, total


# --- the inbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    status: str = ""
    urgency: str = ""  # "" any, "none" not set, or a key of URGENCIES
    kind: str = ""
    source: str = ""
    class_id: int = 0
    pupil_id: int = 0
    q: str = ""


@dataclass(frozen=True)
class InboxRow:
    id: int
    created_at: datetime
    kind: str
    source: str
    about: str | None
    feeling: str | None
    wants_to_talk: bool | None
    is_read: bool
    status: str
    no_further_action: bool
    urgency: str | None
    child: str | None  # "Alex P." of the pupil it is about (or who raised it)
    class_name: str | None
    overdue: int


def _latest(kind: str) -> Any:
    e = aliased(WorryEntry)
    return (select(func.max(e.id)).where(e.worry_id == Worry.id, e.kind == kind)
            .correlate(Worry).scalar_subquery())


def _overdue_count(on: date) -> Any:
    action, done = aliased(WorryEntry), aliased(WorryEntry)
    finished = exists().where(done.kind == "done", done.refers_id == action.id)
    return (select(func.count(action.id)).where(
        action.worry_id == Worry.id, action.kind == "action", action.due_on < on, ~finished)
        .correlate(Worry).scalar_subquery())


class _Inbox:
    """The aliases one inbox statement joins: the latest status and urgency entries, the
    pupil it is about, the pupil who raised it, and their classes."""

    def __init__(self) -> None:
        self.status = aliased(WorryEntry)
        self.urgency = aliased(WorryEntry)
        self.about = aliased(Pupil)
        self.reporter = aliased(Pupil)
        self.about_class = aliased(SchoolClass)
        self.reporter_class = aliased(SchoolClass)
        self.is_read = exists().where(WorryEntry.worry_id == Worry.id, WorryEntry.kind == "read")
        self.status_key = func.coalesce(self.status.status, "open")
        self.first = func.coalesce(self.about.first_name, self.reporter.first_name)
        self.initial = func.coalesce(self.about.surname_initial, self.reporter.surname_initial)
        self.class_id = func.coalesce(self.about.class_id, self.reporter.class_id)

    def query(self, school_id: int, on: date) -> Select:
        return (
            select(Worry.id, Worry.created_at, Worry.kind, Worry.source, Worry.about,
                   Worry.feeling, Worry.wants_to_talk, self.is_read.label("is_read"),
                   self.status_key.label("status"),
                   func.coalesce(self.status.no_further_action, False).label("nfa"),
                   self.urgency.urgency, self.first.label("first"),
                   self.initial.label("initial"),
                   func.coalesce(self.about_class.name, self.reporter_class.name)
                   .label("class_name"), _overdue_count(on).label("overdue"))
            .select_from(Worry)
            .outerjoin(self.status, self.status.id == _latest("status"))
            .outerjoin(self.urgency, self.urgency.id == _latest("urgency"))
            .outerjoin(self.about, self.about.id == Worry.about_pupil_id)
            .outerjoin(self.reporter, and_(self.reporter.user_id == Worry.raised_by_id,
                                           Worry.source == "pupil"))
            .outerjoin(self.about_class, self.about_class.id == self.about.class_id)
            .outerjoin(self.reporter_class, self.reporter_class.id == self.reporter.class_id)
            .where(Worry.school_id == school_id))

    def ordered(self, query: Select) -> Select:
        """Unread first; then open before closed; then by urgency; "wants to talk today"
        before the rest; newest first."""
        rank = case({"high": 3, "medium": 2, "low": 1}, value=self.urgency.urgency, else_=0)
        return query.order_by(
            self.is_read, case((self.status_key == "closed", 1), else_=0), rank.desc(),
            case((Worry.wants_to_talk.is_(True), 0), else_=1), Worry.created_at.desc(),
            Worry.id.desc())

    def filtered(self, query: Select, f: InboxFilter) -> Select:
        if f.status:
            query = query.where(self.status_key == f.status)
        if f.urgency == "none":
            query = query.where(self.urgency.urgency.is_(None))
        elif f.urgency:
            query = query.where(self.urgency.urgency == f.urgency)
        for column, value in ((Worry.kind, f.kind), (Worry.source, f.source),
                              (self.class_id, f.class_id)):
            if value:
                query = query.where(column == value)
        if f.pupil_id:
            query = query.where(or_(self.about.id == f.pupil_id,
                                    self.reporter.id == f.pupil_id))
        if f.q:
            like = f"%{f.q.lower()}%"
            query = query.where(func.lower(self.first + " " + self.initial).like(like))
        return query


def inbox_page(school_id: int, f: InboxFilter, page: int = 1,
               per_page: int = PER_PAGE) -> Page[InboxRow]:
    """One page of the inbox: two queries (count and rows) whatever the number of records."""
    parts = _Inbox()
    query = parts.filtered(parts.query(school_id, today()), f)
    query, page, total = _page(parts.ordered(query), page, per_page)
    rows = [InboxRow(r.id, r.created_at, r.kind, r.source, r.about, r.feeling,
                     r.wants_to_talk, bool(r.is_read), r.status, bool(r.nfa), r.urgency,
                     f"{r.first} {r.initial}." if r.first else None, r.class_name,
                     r.overdue or 0)
            for r in db.session.execute(query)]
    return Page(rows, page, per_page, total)


def filter_choices(school_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Classes and pupils of the school for the filters (two queries)."""
    classes = [(c.id, c.name) for c in db.session.execute(
        select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == school_id)
        .order_by(SchoolClass.year_group, SchoolClass.name))]
    pupils = [(p.id, f"{p.first_name} {p.surname_initial}.") for p in db.session.execute(
        select(Pupil.id, Pupil.first_name, Pupil.surname_initial).where(
            Pupil.school_id == school_id, Pupil.id.in_(
                select(Worry.about_pupil_id).where(Worry.school_id == school_id)))
        .order_by(Pupil.first_name, Pupil.surname_initial))]
    return classes, pupils


# --- the audit log, chronology and retention, paged -----------------------------------------


def audit_page(school_id: int, page: int, action: str = "",
               per_page: int = 100) -> Page[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.school_id == school_id)
    if action:
        query = query.where(AuditEvent.action == action)
    query, page, total = _page(query.order_by(AuditEvent.created_at.desc(),
                                              AuditEvent.id.desc()), page, per_page)
    return Page(list(db.session.scalars(query)), page, per_page, total)


@dataclass(frozen=True)
class ChronologyItem:
    at: datetime
    worry: Worry
    entry: WorryEntry | None  # None: the worry or concern itself


def pupil_worries(pupil: Pupil) -> Select:
    """The ids of the worries in a pupil's file: about them, raised by them, or linked."""
    own = select(Worry.id).where(Worry.school_id == pupil.school_id, or_(
        Worry.about_pupil_id == pupil.id, Worry.raised_by_id == pupil.user_id))
    return own


def chronology_page(pupil: Pupil, page: int, per_page: int = 100) -> Page[ChronologyItem]:
    """Worries and entries in date order, one page, merged in SQL (four queries)."""
    ids = pupil_worries(pupil)
    worries = select(func.coalesce(Worry.occurred_at, Worry.created_at).label("at"),
                     Worry.id.label("worry_id"), literal(0).label("entry_id")).where(
        Worry.id.in_(ids))
    entries = select(WorryEntry.created_at.label("at"), WorryEntry.worry_id.label("worry_id"),
                     WorryEntry.id.label("entry_id")).where(WorryEntry.worry_id.in_(ids))
    merged = union_all(worries, entries).subquery()
    query = select(merged.c.at, merged.c.worry_id, merged.c.entry_id).order_by(
        merged.c.at, merged.c.worry_id, merged.c.entry_id)
    query, page, total = _page(query, page, per_page)
    keys = db.session.execute(query).all()
    by_id = {w.id: w for w in db.session.scalars(
        select(Worry).options(lazyload(Worry.entries))
        .where(Worry.id.in_({k.worry_id for k in keys})))}
    entries_by_id = {e.id: e for e in db.session.scalars(
        select(WorryEntry).where(WorryEntry.id.in_({k.entry_id for k in keys if k.entry_id})))}
    items = [ChronologyItem(_entry_time(k, by_id, entries_by_id), by_id[k.worry_id],
                            entries_by_id.get(k.entry_id)) for k in keys]
    return Page(items, page, per_page, total)


def _entry_time(key: Any, worries: dict[int, Worry], entries: dict[int, WorryEntry]) -> datetime:
    if key.entry_id:
        return entries[key.entry_id].created_at
    worry = worries[key.worry_id]
    return worry.occurred_at or worry.created_at


@dataclass(frozen=True)
class RetentionRow:
    pupil_id: int
    name: str
    class_name: str
    status: str
    until: date
    count: int


def _oldest_kept_year(on: date, start_year: int, age: int) -> int:
    """Pupils in a year group above this are past their retention date on ``on``:
    retain_until is 31 August of (start_year - year_group - 4 + age)."""
    first_kept = on.year + (1 if on > date(on.year, 8, 31) else 0)
    return start_year - 4 + age - first_kept


def retention_page(school_id: int, on: date, age: int, page: int,
                   per_page: int = 100) -> Page[RetentionRow]:
    start_year = on.year if on.month >= 9 else on.year - 1
    query = (select(Pupil.id, Pupil.first_name, Pupil.surname_initial, Pupil.year_group,
                    Pupil.status, SchoolClass.name.label("class_name"),
                    func.count(Worry.id).label("records"))
             .select_from(Pupil)
             .join(Worry, and_(Worry.about_pupil_id == Pupil.id, Worry.school_id == school_id))
             .join(SchoolClass, SchoolClass.id == Pupil.class_id)
             .where(Pupil.school_id == school_id,
                    Pupil.year_group > _oldest_kept_year(on, start_year, age))
             .group_by(Pupil.id, Pupil.first_name, Pupil.surname_initial, Pupil.year_group,
                       Pupil.status, SchoolClass.name)
             .order_by(Pupil.year_group.desc(), Pupil.first_name, Pupil.id))
    query, page, total = _page(query, page, per_page)
    rows = [RetentionRow(r.id, f"{r.first_name} {r.surname_initial}.", r.class_name, r.status,
                         retain_until(Pupil(year_group=r.year_group), on, age), r.records)
            for r in db.session.execute(query)]
    return Page(rows, page, per_page, total)


# --- actions: overdue on the desk and the lead's home ----------------------------------------


@dataclass(frozen=True)
class OverdueAction:
    entry_id: int
    worry_id: int
    action: str
    due_on: date
    owner: str | None


def overdue_actions(school_id: int, on: date | None = None, owner_id: int | None = None,
                    limit: int = 20) -> list[OverdueAction]:
    """Open actions due before today on worries not closed: no child's name, no notes."""
    on = on or today()
    done = aliased(WorryEntry)
    status = aliased(WorryEntry)
    closed = exists().where(status.id == _latest_for(WorryEntry.worry_id, "status"),
                            status.status == "closed")
    query = (select(WorryEntry.id, WorryEntry.worry_id, WorryEntry.action, WorryEntry.due_on,
                    User.display_name)
             .select_from(WorryEntry)
             .outerjoin(User, User.id == WorryEntry.owner_id)
             .where(WorryEntry.school_id == school_id, WorryEntry.kind == "action",
                    WorryEntry.due_on < on,
                    ~exists().where(done.kind == "done", done.refers_id == WorryEntry.id),
                    ~closed)
             .order_by(WorryEntry.due_on, WorryEntry.id).limit(limit))
    if owner_id is not None:
        query = query.where(WorryEntry.owner_id == owner_id)
    return [OverdueAction(r.id, r.worry_id, ACTIONS.get(r.action or "", "Action"), r.due_on,
                          r.display_name) for r in db.session.execute(query)]


def _latest_for(worry_id: Any, kind: str) -> Any:
    e = aliased(WorryEntry)
    return select(func.max(e.id)).where(e.worry_id == worry_id, e.kind == kind) \
        .scalar_subquery()


def enqueue_action_reminders(now: datetime | None = None) -> int:
    """One content-free email a day to the owner of each overdue action (the caller commits).

    It says only that an action is overdue and links to the record: no name, no words.
    """
    now = now or utcnow()
    on = local_date(now) or today()
    since = now - timedelta(hours=20)
    rows = []
    for school_id in db.session.scalars(select(WorryEntry.school_id).distinct().where(
            WorryEntry.kind == "action", WorryEntry.due_on < on)):
        for item in overdue_actions(school_id, on, limit=500):
            rows.extend(_reminder_rows(school_id, item, now, since))
    if rows:
        db.session.execute(insert(OutboxEmail), rows)
    return len(rows)


def _reminder_rows(school_id: int, item: OverdueAction, now: datetime,
                   since: datetime) -> list[dict[str, Any]]:
    owner_email = db.session.scalar(select(User.email).join(
        WorryEntry, WorryEntry.owner_id == User.id).where(WorryEntry.id == item.entry_id,
                                                          User.enabled.is_(True)))
    if not owner_email:
        return []
    recent = db.session.scalar(select(OutboxEmail.id).where(
        OutboxEmail.worry_id == item.worry_id, OutboxEmail.purpose == "action-due",
        OutboxEmail.to_address == owner_email, OutboxEmail.created_at > since).limit(1))
    if recent is not None:
        return []
    body = ("A safeguarding action assigned to you on the Safe Online platform is overdue."
            f"\n\nSign in to see it:\n{worry_link(Worry(id=item.worry_id))}\n\n"
            "This message deliberately contains no details.\n")
    return [{"school_id": school_id, "worry_id": item.worry_id, "purpose": "action-due",
             "to_address": owner_email, "subject": "Reminder: a safeguarding action is overdue",
             "body": body, "created_at": now}]


@dataclass(frozen=True)
class DeskSummary:
    unread: int
    overdue: list[OverdueAction]


def desk_summary(user: User) -> DeskSummary | None:
    """What a lead's or deputy's home shows; None for anyone else."""
    from ..models import LEAD_ROLES
    from .service import unread_count

    if not (user.is_authenticated and user.has_role(*LEAD_ROLES)):
        return None
    return DeskSummary(unread_count(user.school_id), overdue_actions(user.school_id))


# --- cases: records linked together ---------------------------------------------------------


@dataclass(frozen=True)
class RecordRow:
    id: int
    created_at: datetime
    kind: str
    source: str
    child: str | None

    @property
    def label(self) -> str:
        from ..models import WORRY_KINDS
        from ..schooltime import format_time

        who = "pupil" if self.source == "pupil" else "staff concern"
        return (f"#{self.id} · {format_time(self.created_at, 'date')} · "
                f"{WORRY_KINDS.get(self.kind, self.kind)} ({who})"
                + (f" · {self.child}" if self.child else ""))


def _records(school_id: int, *where: Any, limit: int = 60) -> list[RecordRow]:
    parts = _Inbox()
    query = (select(Worry.id, Worry.created_at, Worry.kind, Worry.source,
                    parts.first.label("first"), parts.initial.label("initial"))
             .select_from(Worry)
             .outerjoin(parts.about, parts.about.id == Worry.about_pupil_id)
             .outerjoin(parts.reporter, and_(parts.reporter.user_id == Worry.raised_by_id,
                                             Worry.source == "pupil"))
             .where(Worry.school_id == school_id, *where)
             .order_by(Worry.created_at.desc(), Worry.id.desc()).limit(limit))
    return [RecordRow(r.id, r.created_at, r.kind, r.source,
                      f"{r.first} {r.initial}." if r.first else None)
            for r in db.session.execute(query)]


def linked_rows(worry: Worry) -> list[RecordRow]:
    """The other records of this worry's case (lead-only pages)."""
    from .triage import linked_ids

    ids = linked_ids(worry)
    return _records(worry.school_id, Worry.id.in_(ids)) if ids else []


def link_choices(worry: Worry) -> list[tuple[int, str]]:
    """Recent records of the same school that could be linked with this one (last 60)."""
    from .triage import linked_ids

    taken = linked_ids(worry) | {worry.id}
    rows = _records(worry.school_id, Worry.id.not_in(taken))
    return [(0, "Choose a record…"), *[(r.id, r.label) for r in rows]]
