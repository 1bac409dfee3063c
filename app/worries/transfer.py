"""A child's safeguarding file when they move school: the package (printable and JSON, with a
SHA-256 over the append-only entries), the handover and the receiving lead's receipt, and the
"within five school days" deadline the policies set."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..db import db, utcnow
from ..models import Pupil, TransferRecord, User
from ..schooltime import local_date, today
from .service import WorryInputError, audit, chronology

SCHOOL_DAYS = 5


def school_days_after(start: date, days: int = SCHOOL_DAYS) -> date:
    """``days`` weekdays after ``start`` (holidays are not known here: the lead checks)."""
    day = start
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def file_entries(pupil: Pupil, names: dict[int, str]) -> list[dict[str, Any]]:
    """The whole file as plain values, oldest first: what the checksum is taken over."""
    out: list[dict[str, Any]] = []
    for item in chronology(pupil):
        w, e = item.worry, item.entry
        if e is None:
            out.append({"record": w.id, "entry": None, "type": f"{w.source} record",
                        "at": item.at.isoformat(), "by": names.get(w.raised_by_id, ""),
                        "kind": w.kind, "about": w.about, "feeling": w.feeling,
                        "wants_to_talk": w.wants_to_talk, "words": w.words,
                        "child_words": w.child_words})
        else:
            out.append({"record": w.id, "entry": e.id, "type": e.kind,
                        "at": e.created_at.isoformat(), "by": names.get(e.author_id, ""),
                        "urgency": e.urgency, "action": e.action, "status": e.status,
                        "no_further_action": e.no_further_action, "text": e.text,
                        "corrects": e.corrects_id, "owner": names.get(e.owner_id or 0),
                        "due_on": e.due_on.isoformat() if e.due_on else None,
                        "reply": e.reply, "linked_record": e.linked_worry_id})
    return out


def checksum(entries: list[dict[str, Any]]) -> str:
    """SHA-256 of the entries as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def leaving_date(pupil: Pupil, typed: date | None) -> date:
    """The day the child leaves: typed by the lead, or the day the school recorded."""
    if typed is not None:
        return typed
    left = local_date(pupil.left_at)
    if left is None:
        raise WorryInputError({"leaving_on": f"{pupil.short_name} is still on roll with no "
                                             "leaving date: give the day they leave."})
    return left


def make_package(user: User, pupil: Pupil, receiving_school: str, leaving_on: date | None,
                 names: dict[int, str]) -> TransferRecord:
    leaves = leaving_date(pupil, leaving_on)
    entries = file_entries(pupil, names)
    digest = checksum(entries)
    record = TransferRecord(school_id=user.school_id, pupil_id=pupil.id, kind="package",
                            author_id=user.id, receiving_school=receiving_school,
                            leaving_on=leaves, checksum=digest,
                            entries=len(entries))
    db.session.add(record)
    db.session.flush()
    audit(user, "export", f"pupil {pupil.id} transfer", f"package {record.id} for "
          f"{receiving_school[:80]}, sha256 {digest[:12]}")
    db.session.flush()
    return record


def record_step(user: User, package: TransferRecord, kind: str, person: str,
                at: datetime | None, method: str | None = None) -> TransferRecord:
    """The handover (who it went to, when, how) or the receipt (who confirmed, when)."""
    if kind == "receipt" and not any(s.kind == "handover" for s in steps(package)):
        raise WorryInputError({"person": "Record the handover before the receipt."})
    step = TransferRecord(school_id=package.school_id, pupil_id=package.pupil_id, kind=kind,
                          package_id=package.id, author_id=user.id, person=person,
                          method=method, at=at or utcnow())
    db.session.add(step)
    audit(user, "change", f"pupil {package.pupil_id} transfer",
          f"{kind} of package {package.id} recorded")
    db.session.flush()
    return step


def steps(package: TransferRecord) -> list[TransferRecord]:
    return list(db.session.scalars(select(TransferRecord).where(
        TransferRecord.package_id == package.id).order_by(TransferRecord.id)))


@dataclass(frozen=True)
class PackageView:
    package: TransferRecord
    handover: TransferRecord | None
    receipt: TransferRecord | None
    deadline: date

    @property
    def late(self) -> bool:
        return self.receipt is None and today() > self.deadline


def packages(pupil: Pupil) -> list[PackageView]:
    rows = list(db.session.scalars(select(TransferRecord).where(
        TransferRecord.pupil_id == pupil.id, TransferRecord.school_id == pupil.school_id)
        .order_by(TransferRecord.id)))
    out = []
    for p in (r for r in rows if r.kind == "package"):
        mine = [r for r in rows if r.package_id == p.id]
        out.append(PackageView(
            p, next((r for r in mine if r.kind == "handover"), None),
            next((r for r in mine if r.kind == "receipt"), None),
            school_days_after(p.leaving_on or today())))
    return out


def package_json(pupil: Pupil, package: TransferRecord, school: str,
                 names: dict[int, str]) -> str:
    entries = file_entries(pupil, names)
    return json.dumps({
        "format": "safe-online-safeguarding-file/1", "from_school": school,
        "to_school": package.receiving_school, "package": package.id,
        "pupil": {"first_name": pupil.first_name, "surname_initial": pupil.surname_initial,
                  "year_group": pupil.year_group},
        "leaving_on": package.leaving_on.isoformat() if package.leaving_on else None,
        "deadline": school_days_after(package.leaving_on or today()).isoformat(),
        "produced_at": package.created_at.isoformat(), "entries": entries,
        "checksum": {"algorithm": "sha256", "over": "entries as canonical JSON "
                     "(sorted keys, separators ',' ':', UTF-8)", "value": checksum(entries),
                     "at_handover": package.checksum},
    }, indent=2, ensure_ascii=False)
