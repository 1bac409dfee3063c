"""A class's pupils and their picture sign-in codes."""

from __future__ import annotations

from ..models import Pupil, SchoolClass
from ..permissions import class_roll


def picture_pupils(school_class: SchoolClass) -> list[tuple[Pupil, list[str]]]:
    pupils = class_roll(school_class)
    return [(p, p.picture_code.split(",") if p.picture_code else []) for p in pupils]
