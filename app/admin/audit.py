"""The admin audit log: who changed what in the school's set-up, when, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..db import db
from ..models import AdminAudit, User

PAGE_SIZE = 50


def record(school_id: int, actor: User | None, action: str, target_type: str,
           target_id: int | None, summary: str, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """Add one audit row to the current transaction (committed with the change itself)."""
    db.session.add(AdminAudit(
        school_id=school_id, actor_id=actor.id if actor is not None else None, action=action,
        target_type=target_type, target_id=target_id, summary=summary[:200],
        before=before, after=after))


def changed(before: dict[str, Any], after: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, before and after."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class AuditPage:
    rows: list[tuple[AdminAudit, str]]  # the row and who did it
    page: int
    pages: int
    total: int


def audit_page(school_id: int, page: int = 1) -> AuditPage:
    """Newest first, one page: two queries whatever the size of the log."""
    total = db.session.scalar(select(func.count(AdminAudit.id))
                              .where(AdminAudit.school_id == school_id)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        select(AdminAudit, func.coalesce(User.display_name, "Command line"))
        .outerjoin(User, User.id == AdminAudit.actor_id)
        .where(AdminAudit.school_id == school_id)
        .order_by(AdminAudit.created_at.desc(), AdminAudit.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return AuditPage([(r[0], r[1]) for r in rows], page, pages, total)
