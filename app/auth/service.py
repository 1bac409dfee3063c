"""Sign-in rules as plain functions: passwords, pictures, lockout, devices, agreements."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db, utcnow
from ..models import AgreementAcceptance, Pupil, SchoolClass, User
from .agreements import agreement_for

PICTURES = (
    "cat", "dog", "fish", "star", "sun", "moon", "apple", "tree", "car", "house", "ball", "flower",
)
PICTURE_CODE_LENGTH = 3
DEVICE_COOKIE = "picture_device"
_DUMMY_HASH = generate_password_hash("not-a-real-password")

WRONG_DETAILS = "That username and password do not match. Please try again."
LOCKED = ("This account is paused for {minutes} minutes after too many tries. "
          "Wait a little, or ask your teacher for help.")


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None


def hash_password(password: str) -> str:
    return generate_password_hash(password)


MIN_PASSWORD = {"staff": 8, "parent": 8, "pupil": 6}


def password_problem(user: User, password: str) -> str | None:
    """Why a new password will not do, in words for the person typing it; None if it will."""
    shortest = MIN_PASSWORD.get(user.kind, 8)
    if len(password) < shortest:
        return f"Use at least {shortest} characters. A few words together are easy to remember."
    if user.username and password.strip().lower() == user.username:
        return "Your password cannot be your username."
    if user.pupil is not None and user.pupil.card_password == password:
        return "Choose a new password, not the one on your card."
    return None


def set_password(user: User, password: str) -> None:
    """A password the person chose: first-time cards stop working, other sessions end."""
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    if user.pupil is not None:
        user.pupil.card_password = None
    user.end_sessions()


def unlock(user: User) -> None:
    """A teacher or admin lets a paused account try again at once."""
    user.failed_logins = 0
    user.locked_until = None


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _lock_message() -> str:
    return LOCKED.format(minutes=current_app.config["LOCKOUT_MINUTES"])


def record_failure(user: User) -> None:
    """Count a failed attempt atomically; lock the account when the threshold is reached."""
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user, ["failed_logins"])
    if user.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
        user.locked_until = utcnow() + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        user.failed_logins = 0
    db.session.commit()


def record_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    db.session.commit()


def password_sign_in(username: str, password: str) -> SignIn:
    """Check a username and password. The error never says which of the two was wrong."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or (user.password_hash is None and not _card_password(user)):
        check_password_hash(_DUMMY_HASH, password)  # same work either way: no timing hint
        return SignIn(None, WRONG_DETAILS)
    if is_locked(user):
        return SignIn(None, _lock_message())
    if not check_secret(user, password):
        record_failure(user)
        return SignIn(None, _lock_message() if is_locked(user) else WRONG_DETAILS)
    if not user.is_active:
        return SignIn(None, WRONG_DETAILS)
    record_success(user)
    return SignIn(user)


def _card_password(user: User) -> str | None:
    return user.pupil.card_password if user.pupil is not None else None


def check_secret(user: User, password: str) -> bool:
    """The account's password, or the first-time password on a pupil's login card.

    A card password is kept readable so teachers can reprint the card (docs/admin.md), so
    hashing it as well would protect nothing; it is compared in constant time after the same
    hashing work as a real check, so the two cases take the same time.
    """
    if user.password_hash is not None:
        return check_password_hash(user.password_hash, password)
    check_password_hash(_DUMMY_HASH, password)
    card = _card_password(user)
    return card is not None and secrets.compare_digest(password.encode(), card.encode())


def new_picture_code() -> str:
    """Three different pictures out of twelve, in order: 1,320 possible codes."""
    pool = list(PICTURES)
    return ",".join(pool.pop(secrets.randbelow(len(pool))) for _ in range(PICTURE_CODE_LENGTH))


def picture_sign_in(pupil: Pupil, chosen: list[str]) -> SignIn:
    user = pupil.user
    if is_locked(user):
        return SignIn(None, "Too many tries. Please ask your teacher to help you sign in.")
    if not pupil.picture_code or not secrets.compare_digest(",".join(chosen),
                                                              pupil.picture_code):
        record_failure(user)
        if is_locked(user):
            return SignIn(None, "Too many tries. Please ask your teacher to help you sign in.")
        return SignIn(None, "Those pictures are not right. Let's try again.")
    if not user.is_active:
        return SignIn(None, "Please ask your teacher to help you sign in.")
    record_success(user)
    return SignIn(user)


# --- picture sign-in devices --------------------------------------------------------------


def term_end(today: date, ends: tuple[str, ...]) -> date:
    """The next end of term on or after today, from month-day strings like "12-20"."""
    candidates = []
    for md in ends:
        month, day = (int(x) for x in md.split("-"))
        for year in (today.year, today.year + 1):
            d = date(year, month, day)
            if d >= today:
                candidates.append(d)
    return min(candidates)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="picture-device")


def device_token(school_class: SchoolClass, today: date | None = None) -> tuple[str, date]:
    until = term_end(today or utcnow().date(), tuple(current_app.config["TERM_ENDS"]))
    payload = {"c": school_class.id, "s": school_class.school_id, "u": until.isoformat()}
    return _serializer().dumps(payload), until


def device_class(token: str | None, today: date | None = None) -> SchoolClass | None:
    """The class a device is enabled for, if its signed cookie is valid and in date."""
    if not token:
        return None
    try:
        payload = _serializer().loads(token)
        until = date.fromisoformat(payload["u"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if until < (today or utcnow().date()):
        return None
    school_class = db.session.get(SchoolClass, payload.get("c"))
    if school_class is None or school_class.school_id != payload.get("s"):
        return None
    return school_class


def device_pupils(school_class: SchoolClass) -> list[Pupil]:
    return list(db.session.scalars(
        select(Pupil).where(Pupil.class_id == school_class.id, Pupil.status == "active",
                            Pupil.picture_code.is_not(None))
        .order_by(Pupil.first_name, Pupil.surname_initial)
    ))


# --- agreements ---------------------------------------------------------------------------


def has_accepted(user: User) -> bool:
    agreement = agreement_for(user.agreement_key)
    return db.session.scalar(
        select(AgreementAcceptance.id).where(
            AgreementAcceptance.user_id == user.id,
            AgreementAcceptance.agreement == agreement.key,
            AgreementAcceptance.version == agreement.version,
        )
    ) is not None


def accept(user: User) -> AgreementAcceptance:
    agreement = agreement_for(user.agreement_key)
    row = AgreementAcceptance(school_id=user.school_id, user_id=user.id,
                              agreement=agreement.key, version=agreement.version)
    db.session.add(row)
    db.session.commit()
    return row
