"""Pupils: added by hand or by import, moved, given sign-in details, and marked as left.

We keep the least a school needs (DESIGN.md section 5): first name, surname initial, year
group and class. The surname itself is used only to make the initial and a keyed hash that
lets an import recognise the pupil again; it is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..auth.service import new_picture_code
from ..auth.service import unlock as unlock_account
from ..content.model import band_for_year
from ..db import db, utcnow
from ..models import FamilyLinkCode, Pupil, School, SchoolClass, User
from . import audit

NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\u2019.-][^\W\d_]+)*\.?$")
# Words for first-time passwords on login cards: easy for a seven-year-old to read and type.
CARD_COLOURS = ("red", "blue", "green", "pink", "gold", "silver", "purple", "orange", "yellow",
                "brown", "white", "black", "grey", "lime", "ruby", "teal")
CARD_THINGS = ("otter", "tiger", "panda", "rocket", "comet", "planet", "dragon", "robot",
               "pirate", "castle", "garden", "river", "island", "forest", "lemon", "pebble",
               "badger", "falcon", "turtle", "zebra", "wizard", "meadow", "violin", "puffin")


@dataclass(frozen=True)
class Credentials:
    """What goes on a pupil's login card: a username and password, or three pictures."""

    username: str | None = None
    password: str | None = None
    pictures: tuple[str, ...] = ()


def tidy(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def name_problem(name: str, label: str) -> str | None:
    if not name:
        return f"{label} is empty."
    if len(name) > 40:
        return f"{label} is longer than 40 characters."
    if not NAME_RE.match(name):
        return f"{label} \u201c{name}\u201d has characters a name does not use."
    return None


def name_key(school_id: int, first_name: str, surname: str) -> str:
    """A keyed hash of the full name: matches a pupil across imports, reveals nothing."""
    text = f"{school_id}|{tidy(first_name).casefold()}|{tidy(surname).casefold()}"
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def initial_for(school_class_id: int | None, first_name: str, surname: str,
                taken: Iterable[tuple[str, str]] = (), exclude: int | None = None) -> str:
    """The surname initial, longer (up to three letters) when a classmate would look the same."""
    letters = [c for c in surname if c.isalpha()] or ["X"]
    names = {(f.casefold(), i.casefold()) for f, i in taken}
    if school_class_id is not None:
        names |= {(f.casefold(), i.casefold()) for f, i in db.session.execute(
            select(Pupil.first_name, Pupil.surname_initial).where(
                Pupil.class_id == school_class_id, Pupil.status == "active",
                Pupil.id != (exclude or 0)))}
    for length in (1, 2, 3):
        initial = "".join(letters[:length]).capitalize()
        if (first_name.casefold(), initial.casefold()) not in names:
            return initial
    return "".join(letters[:3]).capitalize()


def card_password() -> str:
    return (f"{secrets.choice(CARD_COLOURS)}-{secrets.choice(CARD_THINGS)}-"
            f"{secrets.randbelow(90) + 10}")


def new_username(first_name: str, initial: str, taken: set[str] | None = None) -> str:
    """firstname + initial + two digits, in plain letters: "alexp27"."""
    base = unicodedata.normalize("NFKD", f"{first_name}{initial}").encode("ascii", "ignore")
    stem = re.sub(r"[^a-z]", "", base.decode().lower())[:20] or "pupil"
    taken = taken if taken is not None else set()
    for _ in range(200):
        candidate = f"{stem}{secrets.randbelow(90) + 10}"
        if candidate in taken:
            continue
        if db.session.scalar(select(User.id).where(User.username == candidate)) is None:
            taken.add(candidate)
            return candidate
    candidate = f"{stem}{secrets.token_hex(3)}"
    taken.add(candidate)
    return candidate


def give_credentials(pupil: Pupil, school_class: SchoolClass,
                     taken: set[str] | None = None) -> Credentials:
    """Fresh sign-in details for the pupil's band; the old card or pictures stop working."""
    user = pupil.user
    unlock_account(user)
    user.end_sessions()
    if band_for_year(pupil.year_group) == "ks1":
        code = new_picture_code()
        while code == pupil.picture_code:
            code = new_picture_code()
        pupil.picture_code = code
        return Credentials(pictures=tuple(code.split(",")))
    if not user.username:
        user.username = new_username(pupil.first_name, pupil.surname_initial, taken)
    password = card_password()
    # No hash: the card's password is kept readable for reprinting, and a hash beside it
    # would protect nothing (auth.service.check_secret). Hashing 30 at an import took seconds.
    user.password_hash = None
    user.must_change_password = school_class.pupils_choose_password
    pupil.card_password = password
    pupil.picture_code = None
    return Credentials(username=user.username, password=password)


@dataclass(frozen=True)
class NewPupil:
    first_name: str
    surname: str
    year_group: int


def add_pupil(school: School, actor: User | None, school_class: SchoolClass, new: NewPupil,
              taken_usernames: set[str] | None = None,
              taken_names: Iterable[tuple[str, str]] = ()) -> Pupil:
    first, surname = tidy(new.first_name), tidy(new.surname)
    initial = initial_for(school_class.id, first, surname, taken_names)
    user = User(school_id=school.id, kind="pupil", display_name=f"{first} {initial}.")
    db.session.add(user)
    db.session.flush()
    pupil = Pupil(school_id=school.id, user_id=user.id, first_name=first,
                  surname_initial=initial, year_group=new.year_group, class_id=school_class.id,
                  name_key=name_key(school.id, first, surname))
    pupil.user = user
    db.session.add(pupil)
    give_credentials(pupil, school_class, taken_usernames)
    db.session.flush()
    audit.record(school.id, actor, "pupil.add", "pupil", pupil.id,
                 f"Added {pupil.short_name} to {school_class.name}",
                 after={"name": pupil.short_name, "year_group": pupil.year_group,
                        "class": school_class.name})
    return pupil


def update_pupil(pupil: Pupil, actor: User, first_name: str, surname: str | None,
                 year_group: int, school_class: SchoolClass) -> Credentials | None:
    """Correct a name or year, or move to another class. A move into KS2 gives a password."""
    before = {"name": pupil.short_name, "year_group": pupil.year_group,
              "class": pupil.school_class.name}
    old_band = pupil.band
    first = tidy(first_name)
    if surname:
        pupil.surname_initial = initial_for(school_class.id, first, tidy(surname),
                                            exclude=pupil.id)
        pupil.name_key = name_key(pupil.school_id, first, tidy(surname))
    pupil.first_name = first
    pupil.year_group = year_group
    pupil.class_id = school_class.id
    pupil.school_class = school_class
    pupil.user.display_name = pupil.short_name
    credentials = None
    if band_for_year(year_group) != old_band:
        credentials = give_credentials(pupil, school_class)
    after = {"name": pupil.short_name, "year_group": year_group, "class": school_class.name}
    old, new = audit.changed(before, after)
    if new:
        audit.record(pupil.school_id, actor, "pupil.edit", "pupil", pupil.id,
                     f"Changed {pupil.short_name}: {', '.join(new)}", old, new)
    return credentials


def reset_sign_in(pupil: Pupil, actor: User) -> Credentials:
    credentials = give_credentials(pupil, pupil.school_class)
    audit.record(pupil.school_id, actor, "pupil.reset-sign-in", "pupil", pupil.id,
                 f"New {'pictures' if credentials.pictures else 'password'} for "
                 f"{pupil.short_name}; the old card no longer works")
    return credentials


def unlock(pupil: Pupil, actor: User) -> None:
    unlock_account(pupil.user)
    audit.record(pupil.school_id, actor, "pupil.unlock", "pupil", pupil.id,
                 f"Unpaused sign-in for {pupil.short_name}")


def mark_left(pupils: list[Pupil], actor: User) -> int:
    """Sign-in stops and sessions end now; family access stops; records are kept."""
    now = utcnow()
    count = 0
    for pupil in pupils:
        if pupil.status == "left":
            continue
        pupil.status = "left"
        pupil.left_at = now
        pupil.user.end_sessions()
        for code in db.session.scalars(select(FamilyLinkCode).where(
                FamilyLinkCode.pupil_id == pupil.id, FamilyLinkCode.used_at.is_(None),
                FamilyLinkCode.revoked_at.is_(None))):
            code.revoked_at = now
        audit.record(pupil.school_id, actor, "pupil.left", "pupil", pupil.id,
                     f"{pupil.short_name} has left {pupil.school_class.name}",
                     {"status": "active"}, {"status": "left"})
        count += 1
    return count


