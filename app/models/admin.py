"""Running a school: family link codes, CSV imports waiting for confirmation, the admin audit
log, and throttles against guessing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class FamilyLinkCode(Base):
    """A one-time code on a letter home: a carer who types it is linked to that one pupil.

    Only a hash of the code is kept; it works once, until it expires or is revoked.
    """

    __tablename__ = "family_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


class ImportBatch(Base):
    """An uploaded class list between its preview and the admin's confirmation."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A teacher imports into one of their own classes only; None: the file names the classes.
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)  # cleared once applied or abandoned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminAudit(Base):
    """Who changed what in the school's set-up, and when, with the values before and after.

    Append-only (like the safeguarding audit): never updated or deleted. It never holds
    safeguarding content, passwords, picture codes or link codes.
    """

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_school_created", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: command line
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Throttle(Base):
    """Failures counted per key ("link-code:user:12", "login:client:..."), to slow guessing."""

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _refuse_change(mapper: Any, connection: Any, target: Any) -> None:
    from .worries import AppendOnlyError

    raise AppendOnlyError("the admin audit log is append-only")


event.listen(AdminAudit, "before_update", _refuse_change)
event.listen(AdminAudit, "before_delete", _refuse_change)
