"""A new school from nothing: the school row and its first admin."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from ..db import db
from ..models import School
from . import audit
from .errors import Refused
from .staff import StaffDetails, add_staff


def slug_for(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "school"
    slug, n = base, 2
    while db.session.scalar(select(School.id).where(School.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_school(name: str, admin_username: str,
                  admin_name: str | None = None) -> tuple[School, str]:
    """The school and its first admin, who chooses a password at first sign-in."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise Refused("Give the school's name (up to 120 characters).", "name")
    school = School(name=name, slug=slug_for(name))
    db.session.add(school)
    db.session.flush()
    admin, password = add_staff(school, None, admin_username, StaffDetails(
        (admin_name or admin_username).strip(), None, frozenset({"school_admin"})))
    audit.record(school.id, None, "school.create", "school", school.id,
                 f"Created {name} with first admin {admin.username}")
    return school, password
