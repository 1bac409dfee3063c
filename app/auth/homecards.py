"""Home cards: picture sign-in for one KS1 pupil on a family's own device.

The school prints a card with a QR code and a short code. Typed (or scanned) once on a
family's device, it leaves a signed cookie naming the card; that device then offers picture
sign-in for that one child until the card expires or the school prints a new card (which
revokes the old one). Only a keyed hash of each code is stored, as for family link codes
(app/admin/links.py), so a code is seen once: on the card printed when it is made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..admin import audit
from ..admin.errors import Refused
from ..db import db, utcnow
from ..models import HomeCard, Pupil, SchoolClass, User
from ..security import code_hash, normalise_code
from . import throttle

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read off a card
CODE_LENGTH = 8
HOME_COOKIE = "home_device"
MAX_CARDS_PER_DEVICE = 6  # brothers and sisters share a tablet
LIMIT, MINUTES = 5, 15
WRONG_CODE = ("That code does not work. Check the letters against the home card from school. "
              "A card stops working on the date printed on it, or when the school prints a "
              "new one: ask the school office for a new card.")
SLOWED = "Too many codes that did not work. Please wait 15 minutes and try again."
NOT_KS1 = "Home cards are for KS1 pupils; older pupils sign in with their username."


def normalise(code: str) -> str:
    return normalise_code(code)


def _hash(code: str) -> str:
    return code_hash("home-card", code)


@dataclass(frozen=True)
class IssuedCard:
    pupil: Pupil
    code: str  # "ABCD-EFGH": printed on the card, never stored
    expires_at: datetime

    @property
    def url(self) -> str:
        """Where the QR code leads: the school's own address, with the code filled in."""
        base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
        return base + url_for("auth.home_code", code=self.code)


def issue(pupil: Pupil, actor: User) -> IssuedCard:
    """A new card for one KS1 pupil; the pupil's older cards stop working at once."""
    if pupil.band != "ks1" or pupil.status != "active":
        raise Refused(NOT_KS1)
    now = utcnow()
    for old in db.session.scalars(select(HomeCard).where(
            HomeCard.pupil_id == pupil.id, HomeCard.revoked_at.is_(None))):
        old.revoked_at = now
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    code = f"{raw[:4]}-{raw[4:]}"
    days = int(current_app.config["HOME_CARD_DAYS"])
    row = HomeCard(school_id=pupil.school_id, pupil_id=pupil.id, code_hash=_hash(code),
                   created_by_id=actor.id, expires_at=now + timedelta(days=days), devices=0)
    db.session.add(row)
    db.session.flush()
    audit.record(pupil.school_id, actor, "homecard.issue", "pupil", pupil.id,
                 f"Home card for {pupil.short_name} (valid {days} days)")
    return IssuedCard(pupil, code, row.expires_at)


def issue_for_class(school_class: SchoolClass, actor: User) -> list[IssuedCard]:
    """A new card for every active pupil of a KS1 class (older cards revoked)."""
    if school_class.band != "ks1":
        raise Refused(NOT_KS1)
    pupils = db.session.scalars(select(Pupil).where(
        Pupil.class_id == school_class.id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial))
    return [issue(p, actor) for p in pupils]


def revoke(pupil: Pupil, actor: User) -> int:
    """Stop the pupil's cards working on every device (a lost card, a family moving)."""
    now = utcnow()
    rows = list(db.session.scalars(select(HomeCard).where(
        HomeCard.pupil_id == pupil.id, HomeCard.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = now
    if rows:
        audit.record(pupil.school_id, actor, "homecard.revoke", "pupil", pupil.id,
                     f"Withdrew the home card for {pupil.short_name}")
    return len(rows)


def find(code: str, throttle_key: str) -> HomeCard:
    """The working card for a typed code, or Refused (counted: wrong codes are slowed)."""
    if throttle.blocked(throttle_key):
        raise Refused(SLOWED, "code")
    row = db.session.scalar(select(HomeCard).where(HomeCard.code_hash == _hash(code))) \
        if normalise(code) else None
    pupil = db.session.get(Pupil, row.pupil_id) if row is not None else None
    if row is None or pupil is None or row.state(utcnow()) != "active" \
            or pupil.status != "active":
        window = timedelta(minutes=MINUTES)
        throttle.fail(throttle_key, LIMIT, window, window)
        db.session.commit()  # the count must outlive the caller's rollback
        raise Refused(WRONG_CODE, "code")
    return row


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="home-device")


def card_ids(token: str | None) -> tuple[int, ...]:
    """The cards a device was turned on with (its signed cookie), newest last."""
    if not token:
        return ()
    try:
        return tuple(int(i) for i in _serializer().loads(token)["c"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return ()


def enable(card: HomeCard, token: str | None) -> str:
    """Count this device for the card; the cookie value that turns it on here."""
    card.devices = (card.devices or 0) + 1
    card.last_used_at = utcnow()
    ids = [i for i in card_ids(token) if i != card.id] + [card.id]
    nonce = secrets.token_urlsafe(8)
    return _serializer().dumps({"c": ids[-MAX_CARDS_PER_DEVICE:], "n": nonce})


def home_pupils(token: str | None) -> list[tuple[HomeCard, Pupil]]:
    """The children this device offers picture sign-in for: working cards only (one query)."""
    ids = card_ids(token)
    if not ids:
        return []
    now = utcnow()
    rows = db.session.execute(
        select(HomeCard, Pupil).join(Pupil, Pupil.id == HomeCard.pupil_id)
        .where(HomeCard.id.in_(ids), HomeCard.revoked_at.is_(None),
               HomeCard.expires_at > now, Pupil.status == "active",
               Pupil.picture_code.is_not(None), Pupil.school_id == HomeCard.school_id)
        .order_by(Pupil.first_name, Pupil.surname_initial))
    return [(card, pupil) for card, pupil in rows]


def card_for(token: str | None, pupil: Pupil) -> HomeCard | None:
    """The working card on this device for this pupil, if there is one."""
    return next((card for card, p in home_pupils(token) if p.id == pupil.id), None)


def note_sign_in(card: HomeCard) -> None:
    """The child signed in at home with this card (the school sees it in use)."""
    card.last_used_at = utcnow()
    db.session.flush()


def cookie_days(cards: list[tuple[HomeCard, Pupil]]) -> int:
    latest = max(card.expires_at for card, _ in cards)
    return max(1, (latest - utcnow()).days + 1)


@dataclass(frozen=True)
class CardRow:
    pupil: Pupil
    card: HomeCard | None  # the pupil's working card, if any


def class_cards(school_class: SchoolClass) -> list[CardRow]:
    """Every active pupil of the class with their working card: two queries."""
    pupils = list(db.session.scalars(select(Pupil).where(
        Pupil.class_id == school_class.id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial)))
    now = utcnow()
    cards = {c.pupil_id: c for c in db.session.scalars(select(HomeCard).where(
        HomeCard.pupil_id.in_([p.id for p in pupils]), HomeCard.revoked_at.is_(None),
        HomeCard.expires_at > now))} if pupils else {}
    return [CardRow(p, cards.get(p.id)) for p in pupils]
