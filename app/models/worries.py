"""Safeguarding records: worries and concerns, their append-only entries, audit and outbox.

Kept apart from learning progress. Nothing here is updated in place or deleted: the ORM
guards below refuse it, and a correction is a new entry that points at the one it corrects.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow

WORRY_KINDS = {
    "unkind": "Someone was unkind",
    "upsetting": "I saw something that upset me",
    "stranger": "Someone I don't know talked to me",
    "pictures-secrets": "Someone asked for pictures or secrets",
    "game-money": "A game or spending problem",
    "other": "Something else",
}
FEELINGS = {
    "sad": "Sad", "scared": "Scared", "angry": "Angry", "worried": "Worried", "ok": "OK",
}
ABOUT = {"me": "About me", "someone-else": "About someone else"}
URGENCIES = {"low": "Low", "medium": "Medium", "high": "High"}
STATUSES = {"open": "Open", "monitoring": "Monitoring", "closed": "Closed"}
ACTIONS = {
    "spoke-with-child": "Spoke with the child",
    "informed-parents": "Informed parents or carers",
    "social-care-referral": "Referral to children's social care",
    "police": "Police",
    "ceop-report": "CEOP report",
    "iwf-report": "Internet Watch Foundation report",
    "monitoring": "Monitoring",
    "other": "Other",
}
# "done": an action finished (refers_id); "share": the outcome line the referrer sees;
# "reply": a kind reply to the child from REPLIES; "link": another worry of the same case.
ENTRY_KINDS = ("read", "urgency", "action", "status", "correction", "done", "share", "reply",
               "link")
# The status a referrer (staff) sees, and the same in a child's words.
REFERRER_STATUSES = {"received": "Received", "looking": "Being looked at", "closed": "Closed"}
CHILD_STATUSES = {
    "received": "Sent. A grown-up will read it soon.",
    "looking": "A grown-up has read it and is helping.",
    "closed": "The grown-ups have finished helping with this. You can always send another "
              "worry or talk to a grown-up.",
}
# The replies a lead may send a child: a picture and a short kind sentence ({lead}: their name).
REPLIES = {
    "find-you-today": ("talk-yes", "{lead} will come and find you today."),
    "find-you-tomorrow": ("talk-yes", "{lead} will come and find you tomorrow."),
    "thank-you": ("feel-ok", "Thank you for telling us. {lead} has read your worry."),
    "right-thing": ("feel-ok", "You did the right thing by telling us."),
    "helping": ("talk-no", "{lead} is helping with your worry. You do not need to do anything."),
}
SHARE_LIMIT = 200
HANDOVER_METHODS = {
    "secure-electronic": "Secure electronic transfer",
    "by-hand": "By hand, signed for",
    "recorded-delivery": "Recorded delivery",
}


class Worry(Base):
    """A worry a pupil reported, or a concern a member of staff recorded about a pupil."""

    __tablename__ = "worries"
    __table_args__ = (
        UniqueConstraint("raised_by_id", "client_token"),
        Index("ix_worries_school_created", "school_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    source: Mapped[str] = mapped_column(String(10))  # "pupil" | "staff"
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The pupil it is about: the reporting pupil for "about me"; chosen by staff for concerns;
    # empty when a pupil reports about someone else.
    about_pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    about: Mapped[str | None] = mapped_column(String(20))
    feeling: Mapped[str | None] = mapped_column(String(20))
    words: Mapped[str | None] = mapped_column(Text)  # pupil's own words, or what staff saw
    child_words: Mapped[str | None] = mapped_column(Text)  # staff: the child's own words
    wants_to_talk: Mapped[bool | None]
    place: Mapped[str | None] = mapped_column(String(200))  # page the pupil was on
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_token: Mapped[str] = mapped_column(String(40))  # one worry per form, however sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[WorryEntry]] = relationship(
        back_populates="worry", order_by="WorryEntry.id", lazy="selectin",
        foreign_keys="WorryEntry.worry_id"
    )


class WorryEntry(Base):
    """One thing a lead did or decided about a worry: read, urgency, action, status, correction."""

    __tablename__ = "worry_entries"
    __table_args__ = (Index("ix_worry_entries_worry_kind", "worry_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    worry_id: Mapped[int] = mapped_column(ForeignKey("worries.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str | None] = mapped_column(String(15))
    no_further_action: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str | None] = mapped_column(Text)  # reason, notes or closing note
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("worry_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # actions: who does it, by when, and when it happened (typed on the school's clock)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None]
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refers_id: Mapped[int | None] = mapped_column(ForeignKey("worry_entries.id"))  # "done"
    reply: Mapped[str | None] = mapped_column(String(30))  # a key of REPLIES
    linked_worry_id: Mapped[int | None] = mapped_column(ForeignKey("worries.id"), index=True)

    worry: Mapped[Worry] = relationship(back_populates="entries", foreign_keys=[worry_id])


class LeadAbsence(Base):
    """A lead marks themself away: while away, alerts go to the deputies. Append-only: the
    latest row for a user is their current plan (coming back early is a new row)."""

    __tablename__ = "lead_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TransferRecord(Base):
    """A child's safeguarding file leaving for another school: the package produced (with the
    SHA-256 of its entries), the handover (who, when, how) and the receiving lead's receipt.
    Append-only: each step is a new row pointing at the package."""

    __tablename__ = "transfer_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # package | handover | receipt
    package_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_records.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiving_school: Mapped[str | None] = mapped_column(String(200))
    leaving_on: Mapped[date | None]
    checksum: Mapped[str | None] = mapped_column(String(64))
    entries: Mapped[int | None]
    method: Mapped[str | None] = mapped_column(String(40))
    person: Mapped[str | None] = mapped_column(String(120))  # handed to / confirmed by
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when handed over / received
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Every view, export and change of safeguarding records: who, what, when, from where."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_school_created", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))  # view | export | change | create
    target: Mapped[str] = mapped_column(String(60))  # e.g. "worry 12", "pupil 4 file"
    detail: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEmail(Base):
    """An email waiting to go: kept until the SMTP server accepts it, retried with back-off.

    A sender claims a row (``claimed_until``, ``claimed_by``) before sending it, so two senders
    never send the same row; a claim left by a crashed sender expires and the row is retried.
    ``message_id`` is fixed at the first claim, so a resend after a crash is recognisable.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    worry_id: Mapped[int | None] = mapped_column(ForeignKey("worries.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # alert | reminder
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # host:pid:random of a sender
    message_id: Mapped[str | None] = mapped_column(String(250))


class AppendOnlyError(RuntimeError):
    pass


def _refuse(kind: str) -> Callable[[Any, Any, Any], None]:
    def listener(mapper: Any, connection: Any, target: Any) -> None:
        raise AppendOnlyError(
            f"{type(target).__name__} rows are append-only: {kind} is not allowed; "
            "add a correction entry instead"
        )

    return listener


for _model in (Worry, WorryEntry, AuditEvent, LeadAbsence, TransferRecord):
    event.listen(_model, "before_update", _refuse("update"))
    event.listen(_model, "before_delete", _refuse("delete"))
