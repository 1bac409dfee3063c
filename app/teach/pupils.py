"""A class's pupils and their picture sign-in codes."""

from __future__ import annotations

from sqlalchemy import select

from ..db import db
from ..models import Pupil, SchoolClass


def picture_pupils(school_class: SchoolClass) -> list[tuple[Pupil, list[str]]]:
    pupils = db.session.scalars(select(Pupil).where(
        Pupil.class_id == school_class.id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial))
    return [(p, p.picture_code.split(",") if p.picture_code else []) for p in pupils]
