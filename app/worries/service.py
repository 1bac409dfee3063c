"""The safeguarding workflow as plain functions: raise, alert, triage, chronology, export.

Rules (DESIGN.md section 5): only leads read worries; alerts carry no content; records are
append-only and every view, export and change is audited; a worry is committed before the
pupil is told it was sent.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, request
from sqlalchemy import Select, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import Exists

from ..db import db, table_of, utcnow
from ..models import (
    ABOUT,
    ACTIONS,
    FEELINGS,
    LEAD_ROLES,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
    AuditEvent,
    LeadAbsence,
    OutboxEmail,
    Pupil,
    School,
    StaffRole,
    User,
    Worry,
    WorryEntry,
)
from ..security import safe_local_path

WORDS_LIMIT = 1000
STAFF_TEXT_LIMIT = 4000
NOTE_LIMIT = 4000


class WorryInputError(ValueError):
    """Bad input for a worry or an entry; ``errors`` maps field name to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def new_token() -> str:
    return secrets.token_hex(16)


# --- people ---------------------------------------------------------------------------------


def _is_lead() -> Exists:
    """The account holds the lead's or a deputy's role (once, whatever roles it has)."""
    return select(StaffRole.id).where(StaffRole.user_id == User.id,
                                      StaffRole.role.in_(LEAD_ROLES)).exists()


def leads(school_id: int) -> list[User]:
    """The designated lead and deputies: who reads worries and receives their alerts."""
    return list(db.session.scalars(
        select(User).where(User.school_id == school_id, User.enabled.is_(True), _is_lead())
        .order_by(User.display_name)))


def _lead_emails_query() -> Select[str | None, bool]:
    """Each lead's address with whether they are away today (their latest absence covers it).
    An ordinary select with bound parameters: SQLAlchemy's statement cache compiles it once."""
    plan = aliased(LeadAbsence)
    latest = select(func.max(plan.id)).where(plan.user_id == User.id).correlate(User) \
        .scalar_subquery()
    away = exists().where(LeadAbsence.id == latest,
                          LeadAbsence.starts_on <= bindparam("today"),
                          LeadAbsence.ends_on >= bindparam("today"))
    return (select(User.email, away.label("away"))
            .where(User.school_id == bindparam("school_id"), User.enabled.is_(True),
                   _is_lead(), User.email.is_not(None), User.email != "")
            .order_by(User.display_name))


def lead_emails(school_id: int) -> list[str]:
    """Where alerts go: every enabled lead and deputy of the school with an email address,
    except those marked away; if everyone is away, everyone (an alert always goes out)."""
    from ..schooltime import today

    rows = db.session.execute(_lead_emails_query(),
                              {"school_id": school_id, "today": today()}).all()
    present = [row.email for row in rows if not row.away]
    return present or [row.email for row in rows]


def away_plan(user: User) -> LeadAbsence | None:
    """The lead's latest absence, if it has not ended yet."""
    from ..schooltime import today

    latest = db.session.scalar(select(LeadAbsence).where(LeadAbsence.user_id == user.id)
                               .order_by(LeadAbsence.id.desc()).limit(1))
    return latest if latest is not None and latest.ends_on >= today() else None


def mark_away(user: User, starts_on: date, ends_on: date) -> LeadAbsence:
    """Append the lead's plan (coming back early is a new plan ending yesterday)."""
    absence = LeadAbsence(school_id=user.school_id, user_id=user.id, starts_on=starts_on,
                          ends_on=ends_on)
    db.session.add(absence)
    audit(user, "change", "lead away", f"away {starts_on.isoformat()} to {ends_on.isoformat()}")
    db.session.flush()
    return absence


def lead_names(school_id: int) -> str:
    names = [u.display_name for u in leads(school_id)]
    if not names:
        return "the school's safeguarding lead"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


# --- audit ----------------------------------------------------------------------------------


def audit(user: User, action: str, target: str, detail: str | None = None) -> None:
    """Add an audit event to the current transaction (committed with the change it records)."""
    ip = request.remote_addr if request else None
    db.session.add(AuditEvent(school_id=user.school_id, user_id=user.id, action=action,
                              target=target, detail=(detail or "")[:300] or None, ip=ip))


# --- raising worries and concerns -----------------------------------------------------------


@dataclass(frozen=True)
class PupilWorry:
    """What a pupil chose, checked by PupilWorryForm: only the kind is needed."""

    kind: str
    about: str | None
    feeling: str | None
    words: str | None
    wants_to_talk: bool | None
    token: str


def safe_place(value: str | None) -> str | None:
    """The page the pupil pressed the button on: a local path only."""
    return safe_local_path(value, longest=200)


def submit_pupil_worry(user: User, chosen: PupilWorry, place: str | None) -> Worry:
    """Store the worry and its alerts (the view commits); the same form twice stores it once."""
    pupil = user.pupil
    assert pupil is not None  # the learn role is a pupil's (permissions.require)
    worry = Worry(school_id=user.school_id, source="pupil", raised_by_id=user.id,
                  about_pupil_id=pupil.id if chosen.about != "someone-else" else None,
                  kind=chosen.kind, about=chosen.about, feeling=chosen.feeling,
                  words=chosen.words, wants_to_talk=chosen.wants_to_talk,
                  place=safe_place(place), client_token=chosen.token)
    return _save_with_alerts(user, worry)


def worry_reference(worry_id: int) -> str:
    """What a pupil sees for a worry: keyed, so it says nothing of how many worries this or
    any other school has (the row id is sequential across every school)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"worry:{worry_id}".encode(),
                      hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:8]
    return f"{code[:4]}-{code[4:]}"


def earliest_event(pupil: Pupil, today: date | None = None) -> date:
    """No event about a pupil can be before they could have been born: a Year N pupil is
    at most N + 6 years old."""
    today = today or utcnow().date()
    years = pupil.year_group + 6
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def event_date_problem(pupil: Pupil, occurred: datetime | None) -> str | None:
    if occurred is None:
        return None
    if occurred > utcnow():
        return "That date and time is in the future."
    if occurred.date() < earliest_event(pupil):
        return (f"That date is before {pupil.short_name} could have been born. "
                "Check the year.")
    return None


def record_concern(user: User, pupil: Pupil | None, kind: str, words: str,
                   child_words: str | None, occurred_at: datetime | None, token: str) -> Worry:
    """A member of staff's concern about a pupil of their school (the view commits)."""
    if pupil is None or pupil.school_id != user.school_id or pupil.status != "active":
        raise WorryInputError({"pupil": "Choose the pupil this concern is about."})
    problem = event_date_problem(pupil, occurred_at)
    if problem:
        raise WorryInputError({"occurred_at": problem})
    worry = Worry(school_id=user.school_id, source="staff", raised_by_id=user.id,
                  about_pupil_id=pupil.id, kind=kind, about="someone-else", words=words,
                  child_words=child_words or None, occurred_at=occurred_at, client_token=token)
    return _save_with_alerts(user, worry)


def _by_token(user: User, token: str) -> Worry | None:
    return db.session.scalar(select(Worry).where(Worry.raised_by_id == user.id,
                                                 Worry.client_token == token))


def _save_with_alerts(user: User, worry: Worry) -> Worry:
    """Insert the worry, its alerts and its audit event (the view commits); a form sent twice
    hits the unique (author, token) key at once and returns the first (the insert is the
    request's first write, so rolling it back loses nothing else).

    A plain INSERT ... RETURNING rather than the ORM's unit of work: this is the one write a
    burst of pupils makes at the same moment, so it is kept to two statements and a commit.
    The returned worry is detached and carries the stored values.
    """
    worry.created_at = utcnow()
    fields = {c.key: getattr(worry, c.key) for c in Worry.__table__.columns if c.key != "id"}
    emails = lead_emails(worry.school_id)  # read before writing: the write lock is held briefly
    try:
        worry.id = db.session.execute(
            insert(table_of(Worry)).values(fields).returning(table_of(Worry).c.id)).scalar_one()
        enqueue_alerts(worry, emails=emails)
        audit(user, "create", f"worry {worry.id}",
              "pupil worry" if worry.source == "pupil" else "staff concern")
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _by_token(user, worry.client_token)
        if existing is None:
            raise
        return existing
    return worry


# --- alerts (no content, ever) --------------------------------------------------------------


def worry_link(worry: Worry) -> str:
    """An absolute link from the configured public address only: a forged Host header on
    the request that saved the worry cannot redirect the lead anywhere."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + f"/safeguarding/worries/{worry.id}"


def inbox_link() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + "/safeguarding/"


def _alert_text(worry: Worry, purpose: str) -> tuple[str, str]:
    """Subject and body: only that something is waiting and where. The kind of worry only
    where the school opts in (schools.alerts_name_kind); never a name or a word of it."""
    school = db.session.get(School, worry.school_id)
    kind = f" ({WORRY_KINDS[worry.kind].lower()})" if school and school.alerts_name_kind \
        else ""
    what = "A new worry" if worry.source == "pupil" else "A new staff concern"
    if purpose == "reminder":
        subject = "Reminder: a worry has not been read yet"
        first = f"A worry{kind} raised on the Safe Online platform has not been read yet."
    else:
        subject = "New worry raised"
        first = f"{what}{kind} has been raised on the Safe Online platform."
    body = (f"{first}\n\nSign in to read it:\n{worry_link(worry)}\n\n"
            "This message deliberately contains no details.\n")
    return subject, body


def _fold_into_pending(worry: Worry, now: datetime, emails: list[str]) -> list[str]:
    """A pupil who sends several worries in a short time: while a lead's alert for an
    earlier one is still waiting in the outbox (not yet claimed by a sender), that alert
    becomes one combined alert counting them all (every worry is stored; the lead is not
    flooded). Returns the leads who still need an alert of their own for this worry.

    So each lead hears of each worry in exactly one email: an alert a sender has already
    claimed is never changed (it may be on the wire), and that lead gets a new alert."""
    t = OutboxEmail
    window = now - timedelta(minutes=current_app.config["ALERT_COMBINE_MINUTES"])
    same_pupil = select(Worry.id).where(Worry.raised_by_id == worry.raised_by_id,
                                        Worry.school_id == worry.school_id)
    free = (t.purpose == "alert", t.sent_at.is_(None), t.created_at > window,
            or_(t.claimed_until.is_(None), t.claimed_until < now))
    newest: dict[str, tuple[int, int]] = {}  # lead's address: (worry id, outbox id)
    for row in db.session.execute(select(t.id, t.worry_id, t.to_address)
                                  .where(*free, t.worry_id.in_(same_pupil))):
        if row.to_address in emails:
            newest[row.to_address] = max(newest.get(row.to_address, (0, 0)),
                                         (row.worry_id, row.id))
    if not newest:
        return emails
    # Taken only if still unclaimed as it is written (PostgreSQL re-checks after a lock wait;
    # SQLite holds its write lock); counted after, so a worry committed meanwhile is in.
    taken = db.session.execute(update(OutboxEmail).where(
        t.id.in_([outbox_id for _, outbox_id in newest.values()]), *free)
        .values(subject="New worries raised").returning(t.id, t.worry_id, t.to_address),
        execution_options={"synchronize_session": False}).all()
    for first in {row.worry_id for row in taken}:
        count = db.session.scalar(select(func.count()).select_from(Worry).where(
            Worry.raised_by_id == worry.raised_by_id, Worry.id >= first))
        body = (f"{count} new worries have been raised on the Safe Online platform in the "
                f"last few minutes.\n\nSign in to read them:\n{inbox_link()}\n\n"
                "This message deliberately contains no details.\n")
        db.session.execute(update(OutboxEmail).where(
            t.id.in_([row.id for row in taken if row.worry_id == first])).values(body=body),
            execution_options={"synchronize_session": False})
    covered = {row.to_address for row in taken}
    return [email for email in emails if email not in covered]


def enqueue_alerts(worry: Worry, purpose: str = "alert", now: datetime | None = None,
                   emails: list[str] | None = None) -> int:
    """One email per lead saying only that something is waiting, and where to read it."""
    now = now or utcnow()
    emails = lead_emails(worry.school_id) if emails is None else emails
    if purpose == "alert" and worry.source == "pupil":
        emails = _fold_into_pending(worry, now, emails)
    subject, body = _alert_text(worry, purpose)
    rows = [{"school_id": worry.school_id, "worry_id": worry.id, "purpose": purpose,
             "to_address": email, "subject": subject, "body": body,
             "created_at": now}
            for email in emails]
    if rows:  # one INSERT for every lead, in the caller's transaction
        db.session.execute(insert(table_of(OutboxEmail)), rows)
    return len(rows)


def enqueue_reminders(now: datetime | None = None) -> int:
    """Remind leads about worries nobody has read after WORRY_REMINDER_MINUTES."""
    from datetime import timedelta

    now = now or utcnow()
    wait = timedelta(minutes=current_app.config["WORRY_REMINDER_MINUTES"])
    read = exists().where(WorryEntry.worry_id == Worry.id, WorryEntry.kind == "read")
    recent = exists().where(OutboxEmail.worry_id == Worry.id,
                            OutboxEmail.created_at > now - wait)
    unread = db.session.scalars(select(Worry).where(~read, ~recent,
                                                    Worry.created_at <= now - wait))
    count = sum(enqueue_alerts(w, purpose="reminder", now=now) for w in unread)
    from .desk import enqueue_action_reminders

    count += enqueue_action_reminders(now)  # overdue actions, once a day to their owner
    db.session.commit()
    return count


# --- the lead's view: state derived from append-only entries --------------------------------


@dataclass
class WorryState:
    read_at: datetime | None = None
    read_by: int | None = None
    urgency: str | None = None
    status: str = "open"
    no_further_action: bool = False
    actions: list[WorryEntry] = field(default_factory=list)
    done: set[int] = field(default_factory=set)  # ids of finished actions
    shared: str | None = None  # the latest outcome line shared with the referrer
    reply: WorryEntry | None = None  # the latest reply to the child
    links: list[int] = field(default_factory=list)  # worries linked from this one

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def open_actions(self) -> list[WorryEntry]:
        return [a for a in self.actions if a.id not in self.done]

    def overdue(self, on: date) -> list[WorryEntry]:
        """Open actions due before ``on`` (the school's today); none once closed."""
        if self.status == "closed":
            return []
        return [a for a in self.open_actions if a.due_on is not None and a.due_on < on]

    @property
    def progress(self) -> str:
        """What the person who raised it is told: received, being looked at, or closed."""
        if self.status == "closed":
            return "closed"
        return "looking" if self.is_read else "received"


def _apply(s: WorryState, e: WorryEntry) -> None:
    if e.kind == "read" and s.read_at is None:
        s.read_at, s.read_by = e.created_at, e.author_id
    elif e.kind == "urgency":
        s.urgency = e.urgency
    elif e.kind == "status":
        s.status = e.status or s.status
        s.no_further_action = e.no_further_action
    elif e.kind == "action":
        s.actions.append(e)
    elif e.kind == "done" and e.refers_id is not None:
        s.done.add(e.refers_id)
    elif e.kind == "share":
        s.shared = e.text
    elif e.kind == "reply":
        s.reply = e
    elif e.kind == "link" and e.linked_worry_id is not None:
        s.links.append(e.linked_worry_id)


def state_of(worry: Worry) -> WorryState:
    s = WorryState()
    for e in worry.entries:
        _apply(s, e)
    return s


def entry_label(e: WorryEntry) -> str:
    """An entry as the correction and "done" pickers show it: number, school time, what, and
    the start of its text, so the right one is chosen."""
    from ..schooltime import format_time

    what = {"read": "Marked as read", "urgency": f"Urgency: {URGENCIES.get(e.urgency or '')}",
            "action": f"Action: {ACTIONS.get(e.action or '', '')}",
            "status": f"Status: {STATUSES.get(e.status or '', '')}",
            "correction": f"Correction to #{e.corrects_id}", "done": f"Done: #{e.refers_id}",
            "share": "Outcome shared", "reply": "Reply to the child",
            "link": f"Linked with record #{e.linked_worry_id}"}.get(e.kind, e.kind)
    text = (e.text or "").replace("\n", " ")
    text = f" — {text[:80]}{'…' if len(text) > 80 else ''}" if text else ""
    return f"#{e.id} · {format_time(e.created_at)} · {what}{text}"


def unread_count(school_id: int) -> int:
    read = exists().where(WorryEntry.worry_id == Worry.id, WorryEntry.kind == "read")
    return db.session.scalar(select(func.count(Worry.id)).where(
        Worry.school_id == school_id, ~read)) or 0


def mark_read(worry: Worry, user: User) -> bool:
    if state_of(worry).is_read:
        return False
    db.session.add(WorryEntry(school_id=worry.school_id, worry_id=worry.id, author_id=user.id,
                              kind="read"))
    audit(user, "change", f"worry {worry.id}", "marked as read")
    return True


# --- chronology, export and retention -------------------------------------------------------


@dataclass(frozen=True)
class ChronologyItem:
    at: datetime
    worry: Worry
    entry: WorryEntry | None  # None: the worry or concern itself


def chronology(pupil: Pupil) -> list[ChronologyItem]:
    worries = db.session.scalars(select(Worry).where(
        Worry.school_id == pupil.school_id,
        or_(Worry.about_pupil_id == pupil.id, Worry.raised_by_id == pupil.user_id)))
    items = []
    for w in worries:
        items.append(ChronologyItem(w.occurred_at or w.created_at, w, None))
        items.extend(ChronologyItem(e.created_at, w, e) for e in w.entries)
    return sorted(items, key=lambda i: (i.at, i.worry.id, i.entry.id if i.entry else 0))


def export_csv(pupil: Pupil, users: dict[int, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when (UTC)", "record", "type", "by", "kind", "about", "feeling",
                     "urgency", "action", "status", "text", "child's words", "corrects entry"])
    for item in chronology(pupil):
        w, e = item.worry, item.entry
        if e is None:
            writer.writerow([
                item.at.isoformat(timespec="minutes"), f"worry {w.id}",
                "pupil worry" if w.source == "pupil" else "staff concern",
                users.get(w.raised_by_id, ""), WORRY_KINDS.get(w.kind, w.kind),
                ABOUT.get(w.about or "", ""), FEELINGS.get(w.feeling or "", ""), "", "", "",
                _cell(w.words), _cell(w.child_words), ""])
        else:
            writer.writerow([
                item.at.isoformat(timespec="minutes"), f"entry {e.id} on worry {w.id}", e.kind,
                users.get(e.author_id, ""), "", "", "", URGENCIES.get(e.urgency or "", ""),
                ACTIONS.get(e.action or "", ""),
                STATUSES.get(e.status or "", "") + (" (no further action)"
                                                    if e.no_further_action else ""),
                _cell(e.text), "", e.corrects_id or ""])
    return out.getvalue()


def _cell(text: str | None) -> str:
    """Stop a spreadsheet from running text that starts like a formula."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def retain_until(pupil: Pupil, today: date, age: int) -> date:
    """The child's 25th birthday (by default), taken from the year group: no birth date kept.

    A pupil in Year N in the school year starting in September Y was born by 31 August
    Y-N-4 at the latest; the latest possible birthday keeps the record longest.
    """
    start_year = today.year if today.month >= 9 else today.year - 1
    born_by = date(start_year - pupil.year_group - 4, 8, 31)
    return born_by.replace(year=born_by.year + age)


def retention_report(school_id: int, today: date) -> list[tuple[Pupil, date, int]]:
    age = current_app.config["SAFEGUARDING_RETENTION_AGE"]
    pupils = db.session.scalars(select(Pupil).where(Pupil.school_id == school_id, Pupil.id.in_(
        select(Worry.about_pupil_id).where(Worry.school_id == school_id))))
    out = []
    for p in pupils:
        until = retain_until(p, today, age)
        if until < today:
            count = db.session.scalar(select(func.count(Worry.id)).where(
                Worry.about_pupil_id == p.id)) or 0
            out.append((p, until, count))
    return out


def display_names(school_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(User.id, User.display_name).where(
        User.school_id == school_id)).all())
