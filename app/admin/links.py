"""Family link codes: a one-time code on a letter home links a carer's account to one child.

Only a keyed hash of each code is stored, so the code is shown once, on the letter printed
when it is made; a lost letter is replaced by reissuing (the old code stops working).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..auth import throttle
from ..db import db, utcnow
from ..models import FamilyLinkCode, ParentLink, Pupil, User
from ..security import code_hash, normalise_code
from . import audit
from .errors import Refused

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read off a letter
CODE_LENGTH = 10
WRONG_CODE = ("That code does not work. Check it against the letter from school; it works "
              "once and only until the date on the letter. The school office can give you "
              "a new one.")
SLOWED = "Too many codes that did not work. Please wait 15 minutes and try again."
LIMIT, MINUTES = 5, 15


def normalise(code: str) -> str:
    return normalise_code(code)


def _hash(code: str) -> str:
    return code_hash("family-link", code)


@dataclass(frozen=True)
class IssuedCode:
    pupil: Pupil
    code: str  # "ABCDE-FGHJK": shown on the letter, never stored
    expires_at: datetime


def issue(pupil: Pupil, actor: User) -> IssuedCode:
    """A new code for one pupil; any code still waiting for that pupil stops working."""
    now = utcnow()
    for old in db.session.scalars(select(FamilyLinkCode).where(
            FamilyLinkCode.pupil_id == pupil.id, FamilyLinkCode.used_at.is_(None),
            FamilyLinkCode.revoked_at.is_(None))):
        old.revoked_at = now
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    code = f"{raw[:5]}-{raw[5:]}"
    days = int(current_app.config.get("FAMILY_CODE_DAYS", 30))
    row = FamilyLinkCode(school_id=pupil.school_id, pupil_id=pupil.id, code_hash=_hash(code),
                         created_by_id=actor.id, expires_at=now + timedelta(days=days))
    db.session.add(row)
    audit.record(pupil.school_id, actor, "family.code", "pupil", pupil.id,
                 f"Family link letter for {pupil.short_name} (valid {days} days)")
    return IssuedCode(pupil, code, row.expires_at)


def revoke_codes(pupil: Pupil, actor: User) -> int:
    now = utcnow()
    count = 0
    for row in db.session.scalars(select(FamilyLinkCode).where(
            FamilyLinkCode.pupil_id == pupil.id, FamilyLinkCode.used_at.is_(None),
            FamilyLinkCode.revoked_at.is_(None), FamilyLinkCode.expires_at > now)):
        row.revoked_at = now
        count += 1
    if count:
        audit.record(pupil.school_id, actor, "family.revoke", "pupil", pupil.id,
                     f"Withdrew the family link letter for {pupil.short_name}")
    return count


def find_code(code: str, throttle_key: str) -> FamilyLinkCode:
    """The waiting code, or Refused (counted: repeated wrong codes are slowed down)."""
    if throttle.blocked(throttle_key):
        raise Refused(SLOWED, "code")
    row = db.session.scalar(select(FamilyLinkCode).where(FamilyLinkCode.code_hash ==
                                                         _hash(code)))
    pupil = db.session.get(Pupil, row.pupil_id) if row is not None else None
    if row is None or row.state(utcnow()) != "active" or pupil is None \
            or pupil.status != "active":
        window = timedelta(minutes=MINUTES)
        throttle.fail(throttle_key, LIMIT, window, window)
        db.session.commit()  # the count must outlive the caller's rollback
        raise Refused(WRONG_CODE, "code")
    return row


def redeem(row: FamilyLinkCode, parent: User) -> Pupil:
    """Link the parent to the code's pupil and use the code up."""
    pupil = db.session.get(Pupil, row.pupil_id)
    assert pupil is not None
    if parent.kind != "parent":
        raise Refused("Only a family account can use a family link code.", "code")
    if parent.school_id != pupil.school_id:
        raise Refused("This code is for a child at another school. Each school gives its "
                      "own family account: create one with this code.", "code")
    already = db.session.scalar(select(ParentLink).where(
        ParentLink.parent_id == parent.id, ParentLink.pupil_id == pupil.id))
    if already is not None:
        raise Refused(f"Your account is already linked to {pupil.first_name}.", "code")
    row.used_at = utcnow()
    row.used_by_id = parent.id
    db.session.add(ParentLink(school_id=pupil.school_id, parent_id=parent.id,
                              pupil_id=pupil.id))
    audit.record(pupil.school_id, parent, "family.link", "pupil", pupil.id,
                 f"{parent.display_name} linked to {pupil.short_name} with a code")
    return pupil


def unlink(link: ParentLink, actor: User) -> None:
    audit.record(link.school_id, actor, "family.unlink", "pupil", link.pupil_id,
                 f"Unlinked {link.parent.display_name} from {link.pupil.short_name}",
                 {"linked": True}, {"linked": False})
    db.session.delete(link)


@dataclass(frozen=True)
class FamilyRow:
    pupil: Pupil
    carers: list[tuple[ParentLink, User]]
    code_waiting_until: datetime | None


def family_rows(school_id: int, class_id: int | None = None) -> list[FamilyRow]:
    """Every active pupil with their linked carers and any waiting code: three queries."""
    query = select(Pupil).where(Pupil.school_id == school_id, Pupil.status == "active")
    if class_id is not None:
        query = query.where(Pupil.class_id == class_id)
    pupils = list(db.session.scalars(query.order_by(Pupil.class_id, Pupil.first_name,
                                                    Pupil.surname_initial)))
    ids = [p.id for p in pupils]
    carers: dict[int, list[tuple[ParentLink, User]]] = {}
    waiting: dict[int, datetime] = {}
    if ids:
        for link, parent in db.session.execute(
                select(ParentLink, User).join(User, User.id == ParentLink.parent_id)
                .where(ParentLink.pupil_id.in_(ids)).order_by(User.display_name)):
            carers.setdefault(link.pupil_id, []).append((link, parent))
        now = utcnow()
        for pupil_id, expires in db.session.execute(
                select(FamilyLinkCode.pupil_id, FamilyLinkCode.expires_at).where(
                    FamilyLinkCode.pupil_id.in_(ids), FamilyLinkCode.used_at.is_(None),
                    FamilyLinkCode.revoked_at.is_(None),
                    FamilyLinkCode.expires_at > now)):
            waiting[pupil_id] = expires
    return [FamilyRow(p, carers.get(p.id, []), waiting.get(p.id)) for p in pupils]
