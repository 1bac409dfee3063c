"""Demo data for the lead's desk: a deputy lead, and a few closed cases so reports are not
empty. Called from ``seed-demo``; safe to run twice (each case is found by its token)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..auth.service import hash_password
from ..db import db, utcnow
from ..models import Pupil, School, StaffRole, User, Worry, WorryEntry

DEPUTY = ("deputylead", "demo-deputy-pass", "Mr Okafor")
DEPUTY_TOTP = "DEMODEPUTYSAFEONLINEDEMODEPUTYSA"

# pupil, source, kind, days ago, the action taken, the closing note (made up for the demo)
CLOSED_CASES = (
    ("Priya", "pupil", "unkind", 70, "spoke-with-child", "Friendship upset sorted in class."),
    ("Jacob", "pupil", "game-money", 45, "informed-parents", "Parents set spending limits."),
    ("Leo", "staff", "upsetting", 30, "spoke-with-child", "Talked it through; checked in."),
    ("Grace", "pupil", "stranger", 12, "informed-parents", "Blocked and reported in the game."),
)


def seed_deputy(school: School) -> int:
    """The deputy lead (reads and acts on worries like the lead); 1 when it was added."""
    if db.session.scalar(select(User.id).where(User.username == DEPUTY[0])) is not None:
        return 0
    deputy = User(school_id=school.id, kind="staff", username=DEPUTY[0],
                  display_name=DEPUTY[2], password_hash=hash_password(DEPUTY[1]),
                  totp_secret=DEPUTY_TOTP)
    db.session.add(deputy)
    db.session.flush()
    db.session.add(StaffRole(user_id=deputy.id, role="deputy_lead"))
    db.session.flush()
    return 2


def seed_closed_cases() -> int:
    """A few closed worries and concerns with their read, action and closing entries."""
    lead = db.session.scalar(select(User).where(User.username == "dsl"))
    teacher = db.session.scalar(select(User).where(User.username == "teacher2"))
    if lead is None or teacher is None:
        return 0
    added = 0
    for number, (first, source, kind, days, action, note) in enumerate(CLOSED_CASES, 1):
        token = f"demo-closed-case-{number}"
        pupil = db.session.scalar(select(Pupil).where(Pupil.school_id == lead.school_id,
                                                      Pupil.first_name == first))
        if pupil is None or db.session.scalar(select(Worry.id).where(
                Worry.client_token == token)) is not None:
            continue
        raised_by = pupil.user_id if source == "pupil" else teacher.id
        _closed_case(lead, pupil, raised_by, source, kind, days, action, note, token)
        added += 1
    db.session.flush()
    return added


def _closed_case(lead: User, pupil: Pupil, raised_by: int, source: str, kind: str, days: int,
                 action: str, note: str, token: str) -> None:
    at = utcnow() - timedelta(days=days)
    worry = Worry(school_id=lead.school_id, source=source, raised_by_id=raised_by,
                  about_pupil_id=pupil.id, kind=kind, about="me" if source == "pupil"
                  else "someone-else", wants_to_talk=True if source == "pupil" else None,
                  client_token=token, created_at=at)
    db.session.add(worry)
    db.session.flush()
    for hours, values in ((2, {"kind": "read"}),
                          (3, {"kind": "urgency", "urgency": "medium",
                               "text": "Demo case: upsetting but no immediate risk."}),
                          (5, {"kind": "action", "action": action, "text": "Demo case."}),
                          (72, {"kind": "status", "status": "closed", "text": note})):
        db.session.add(WorryEntry(school_id=lead.school_id, worry_id=worry.id,
                                  author_id=lead.id, created_at=at + timedelta(hours=hours),
                                  **values))
