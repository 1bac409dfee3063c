"""Two-step sign-in (TOTP, RFC 6238, with pyotp) and its one-time recovery codes.

Required for safeguarding leads, deputies and school admins (TWO_STEP_REQUIRED, on by
default), and for teachers where the school asks (schools.two_step_for_teachers). Anyone
who has set it up is asked for it. Codes are accepted for the step before and after the
current one (clock drift) but never twice: the last accepted step is kept.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select, update

from ..db import db, rows_changed, utcnow
from ..models import LEAD_ROLES, RecoveryCode, User
from . import throttle

ISSUER = "Safe Online"
RECOVERY_CODES = 10
STEP = 30
WRONG_CODE = "That code did not work. Type the six numbers your app shows now, or a " \
    "recovery code."
PAUSED = "Too many wrong codes. Wait 15 minutes, or ask the school admin to help."


def required(user: User) -> bool:
    if user.kind != "staff" or not current_app.config["TWO_STEP_REQUIRED"]:
        return False
    if user.has_role(*LEAD_ROLES, "school_admin"):
        return True
    return user.school.two_step_for_teachers and user.has_role("teacher")


def asked_of(user: User) -> bool:
    """Whether sign-in for this account has a second step (set up, or to be set up now)."""
    return user.totp_secret is not None or required(user)


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username or str(user.id),
                                               issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The set-up QR code as inline SVG, drawn here: nothing is fetched from anywhere."""
    return segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your app",
                                                 dark="#000", light="#fff")


def grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _step_matching(secret: str, code: str, last_step: int | None, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and \
                secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def check_new(secret: str, code: str) -> int | None:
    """While setting up: the step of a right code for a secret not yet saved."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    return _step_matching(secret, code, None, time.time())


def _hash(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).replace("-", "").encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh one-time codes (the old ones stop working); only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    return codes


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def verify(user: User, code: str) -> str | None:
    """Check a six-digit code or a recovery code. None when right; else what to say.

    Wrong codes are counted per account (five in 15 minutes pause the second step; the
    password alone never signs in). The caller commits.
    """
    key = f"totp:{user.id}"
    if throttle.blocked(key):
        return PAUSED
    code = "".join(code.split())
    if user.totp_secret and len(code) == 6 and code.isdigit():
        step = _step_matching(user.totp_secret, code, user.totp_last_step, time.time())
        if step is not None:
            # atomic: two requests with the same code cannot both pass
            if rows_changed(update(User).where(
                    User.id == user.id,
                    (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
                    .values(totp_last_step=step)):
                db.session.refresh(user, ["totp_last_step"])
                throttle.clear(key)
                return None
    elif len(code.replace("-", "")) == 10:
        used = rows_changed(update(RecoveryCode).where(  # atomic: each code works once
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None)).values(used_at=utcnow()))
        if used:
            throttle.clear(key)
            return None
    minutes = timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    if throttle.fail(key, current_app.config["LOCKOUT_THRESHOLD"], minutes, minutes):
        return PAUSED
    return WRONG_CODE


def turn_on(user: User, secret: str, step: int) -> list[str]:
    """Save a confirmed secret; returns the recovery codes to show once. Caller commits."""
    user.totp_secret = secret
    user.totp_last_step = step
    return new_recovery_codes(user)


def turn_off(user: User) -> None:
    """An admin resets a lost phone: the person sets two-step up again at next sign-in."""
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    throttle.clear(f"totp:{user.id}")
    user.end_sessions()


def reauth_needed() -> bool:
    """True unless this session signed in, or confirmed who it is, in the last few minutes
    (asked before a child's safeguarding file is exported)."""
    from flask import session

    at = session.get("reauth_at")
    return not isinstance(at, int) or \
        time.time() - at > current_app.config["REAUTH_MINUTES"] * 60


def mark_reauthenticated() -> None:
    from flask import session

    session["reauth_at"] = int(time.time())
