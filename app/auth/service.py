"""Sign-in rules as plain functions: passwords, pictures, lockout, devices, agreements."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import db, utcnow
from ..models import AgreementAcceptance, Pupil, SchoolClass, User
from . import throttle
from .agreements import agreement_for

PICTURES = (
    "cat", "dog", "fish", "star", "sun", "moon", "apple", "tree", "car", "house", "ball", "flower",
)
PICTURE_CODE_LENGTH = 3
DEVICE_COOKIE = "picture_device"
_DUMMY_HASH = generate_password_hash("not-a-real-password")

# One message for a wrong password, an unknown username and an account paused for unknown
# clients: a guesser cannot tell which usernames exist, or which accounts are paused.
WRONG_DETAILS = ("That username and password do not match, or sign-in is resting after too "
                 "many tries. Please try again, or ask your teacher (grown-ups: the school "
                 "office).")
# Only shown on a device where this account has signed in before: the real person is told why.
PAUSED_HERE = ("Sign-in to this account is paused on this device for {minutes} minutes after "
               "too many tries. Wait a little, or ask your teacher for help.")
PICTURES_PAUSED = "Too many tries. Please ask your teacher to help you sign in."
PICTURES_WRONG = "Those pictures are not right. Let's try again."
KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_USERS = 40  # a shared classroom PC remembers this many accounts


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None


def hash_password(password: str) -> str:
    return generate_password_hash(password)


MIN_PASSWORD = {"staff": 8, "parent": 8, "pupil": 6}


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (app/auth/common-passwords.txt), read once."""
    path = Path(__file__).with_name("common-passwords.txt")
    return frozenset(line.strip() for line in path.read_text().splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problem(user: User, password: str) -> str | None:
    """Why a new password will not do, in words for the person typing it; None if it will.

    Length and a list of common passwords only: no rules about symbols or capitals, long
    passwords and pasting welcome (NIST SP 800-63B, ASVS 5.0 V6).
    """
    shortest = MIN_PASSWORD.get(user.kind, 8)
    if len(password) < shortest:
        return f"Use at least {shortest} characters. A few words together are easy to remember."
    if password.strip().lower() in common_passwords():
        return ("That password is one of the most common ones, so it is easy to guess. "
                "Try three words you will remember.")
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
    """A teacher or admin lets a paused account try again at once, on every device.

    Clears the account's pause for unknown clients, its pauses on known devices and, for a
    pupil, the picture-sign-in pauses on every class device. The caller commits.
    """
    user.failed_logins = 0
    user.locked_until = None
    prefixes = [f"login:user:{user.id}:"]
    if user.pupil is not None:
        prefixes.append(f"pics:{user.pupil.id}:")
    throttle.clear(f"totp:{user.id}", prefixes=tuple(prefixes))


def reset(user: User) -> str:
    """Staff give an account a new first-time password (returned once, to hand over).

    The person chooses their own at next sign-in, every open session ends and any pause is
    lifted. For a pupil the new password is kept on the login card until they choose. The
    caller commits.
    """
    words = ("apple", "river", "cloud", "tiger", "maple", "comet", "otter", "pebble", "robin",
             "lemon", "meadow", "anchor", "velvet", "harbour", "cactus", "willow")
    password = "-".join(words[secrets.randbelow(len(words))] for _ in range(2)) + \
        f"-{secrets.randbelow(900) + 100}"
    user.password_hash = hash_password(password)
    user.must_change_password = True
    if user.pupil is not None:
        user.pupil.card_password = password
    unlock(user)
    user.end_sessions()
    return password


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Paused for unknown clients (the account's own known devices carry on)."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


def record_failure(user: User) -> None:
    """Count a failure from an unknown client atomically; pause the account for unknown
    clients when the threshold is reached. The caller commits."""
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user, ["failed_logins"])
    if user.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
        user.locked_until = utcnow() + _minutes("LOCKOUT_MINUTES")
        user.failed_logins = 0


def record_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    db.session.flush()


@dataclass(frozen=True)
class KnownDevice:
    """A browser where these accounts signed in before (OWASP's device cookie)."""

    nonce: str
    user_ids: tuple[int, ...] = ()


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def known_device(token: str | None) -> KnownDevice | None:
    if not token:
        return None
    try:
        payload = _device_serializer().loads(token)
        nonce = str(payload["d"])
        ids = tuple(int(i) for i in payload["u"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return KnownDevice(nonce, ids[-KNOWN_DEVICE_USERS:])


def remember_device(device: KnownDevice | None, user: User) -> str:
    """The cookie value once ``user`` has signed in on this device (newest last)."""
    nonce = device.nonce if device else secrets.token_urlsafe(16)
    ids = [i for i in (device.user_ids if device else ()) if i != user.id] + [user.id]
    return _device_serializer().dumps({"d": nonce, "u": ids[-KNOWN_DEVICE_USERS:]})


def _name_key(name: str) -> str:
    return "login:name:" + hashlib.sha256(name.encode()).hexdigest()[:40]


def password_sign_in(username: str, password: str, client: str = "unknown",
                     device: KnownDevice | None = None) -> SignIn:
    """Check a username and password without letting a guesser lock the real person out.

    On a device where the account signed in before, failures pause only that device for
    that account. Anywhere else failures count against the client (one address) and the
    account (for unknown clients only). A wrong password, an unknown username and a pause
    seen from an unknown client give the same message after the same work: one slow hash
    and one counted failure.
    """
    name = username.strip().lower()
    user = db.session.scalar(select(User).where(User.username == name))
    cfg = current_app.config
    known = user is not None and device is not None and user.id in device.user_ids
    if known:
        assert user is not None and device is not None
        device_key = f"login:user:{user.id}:dev:{device.nonce}"
        paused = throttle.blocked(device_key)
    else:
        client_key = f"login:client:{client}"[:120]
        paused = throttle.blocked(client_key) or (
            is_locked(user) if user is not None else throttle.blocked(_name_key(name)))
    stored = user.password_hash if user is not None and user.password_hash else None
    if user is not None and stored is None and _card_password(user):
        matches = check_secret(user, password)  # a first-time card: same work as a hash
    else:
        matches = check_password_hash(stored or _DUMMY_HASH, password) and stored is not None
    if matches and not paused and user is not None and user.is_active:
        record_success(user)
        return SignIn(user)
    if known:
        if not paused:
            paused = throttle.fail(device_key, cfg["LOCKOUT_THRESHOLD"],
                                   _minutes("LOCKOUT_MINUTES"), _minutes("LOCKOUT_MINUTES"))
        db.session.flush()
        if paused:
            return SignIn(None, PAUSED_HERE.format(minutes=cfg["LOCKOUT_MINUTES"]))
        return SignIn(None, WRONG_DETAILS)
    throttle.fail(client_key, cfg["CLIENT_THRESHOLD"], _minutes("CLIENT_MINUTES"),
                  _minutes("CLIENT_MINUTES"))
    if not paused and not matches:
        if user is not None:
            record_failure(user)
        else:
            throttle.fail(_name_key(name), cfg["LOCKOUT_THRESHOLD"],
                          _minutes("LOCKOUT_MINUTES"), _minutes("LOCKOUT_MINUTES"))
    db.session.flush()
    return SignIn(None, WRONG_DETAILS)


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


def picture_sign_in(pupil: Pupil, chosen: list[str], device_id: str = "") -> SignIn:
    """Pictures on a class device. Failures pause only this pupil on this device, briefly:
    a classmate tapping the wrong pictures cannot stop the pupil anywhere else for long, and
    a teacher can lift the pause at once (``unlock``)."""
    user = pupil.user
    key = f"pics:{pupil.id}:{device_id}"[:120]
    if throttle.blocked(key):
        return SignIn(None, PICTURES_PAUSED)
    if not pupil.picture_code or not secrets.compare_digest(",".join(chosen),
                                                              pupil.picture_code):
        cfg = current_app.config
        paused = throttle.fail(key, cfg["LOCKOUT_THRESHOLD"], _minutes("LOCKOUT_MINUTES"),
                               _minutes("PICTURE_PAUSE_MINUTES"))
        db.session.flush()
        return SignIn(None, PICTURES_PAUSED if paused else PICTURES_WRONG)
    if not user.is_active:
        return SignIn(None, "Please ask your teacher to help you sign in.")
    record_success(user)
    return SignIn(user)


def device_id(token: str) -> str:
    """A short name for one enabled picture device (its signed cookie), for throttling."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


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
    # "n" names this one device: its picture-sign-in pauses are its own (device_id)
    payload = {"c": school_class.id, "s": school_class.school_id, "u": until.isoformat(),
               "n": secrets.token_urlsafe(8)}
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
    db.session.flush()
    return row
