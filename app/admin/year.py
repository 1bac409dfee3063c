"""The new school year in one screen: every class moves up a year (Year 6 leaves and its class
is archived), teachers are reassigned, pupils moving into Year 3 switch to KS2 sign-in.

``rollover_plan`` builds the preview without writing; ``apply_rollover`` writes exactly that
plan in the caller's transaction. Learning progress is kept: it belongs to the pupil.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..db import db, utcnow
from ..models import ClassTeacher, Pupil, School, SchoolClass, User
from . import audit
from .classes import all_classes, teachers_by_class
from .errors import Refused
from .pupils import give_credentials

YEAR_IN_NAME = re.compile(r"\b(Year|Yr|Y)\s?([1-6])\b", re.IGNORECASE)


def school_year_label(start: int) -> str:
    return f"{start}-{str(start + 1)[-2:]}"


def current_start_year(school: School) -> int:
    if school.academic_year:
        return school.academic_year
    today = utcnow().date()
    return today.year if today.month >= 8 else today.year - 1


def next_name(name: str, year_group: int) -> str:
    """ "Year 2 Robins" -> "Year 3 Robins"; a name without a year stays as it is."""
    return YEAR_IN_NAME.sub(lambda m: f"{m.group(1)}{' ' if ' ' in m.group(0) else ''}"
                            f"{min(6, int(m.group(2)) + 1)}", name, count=1) \
        if year_group < 6 else name


@dataclass
class ClassChange:
    school_class: SchoolClass
    leaves: bool  # a Year 6 class: pupils leave, the class is archived
    new_name: str
    new_year: int
    teacher_ids: list[int]
    pupils: int = 0
    to_ks2: int = 0  # pupils moving from Year 2 to Year 3: new username and password
    leavers: int = 0  # Year 6 pupils (in any class)


@dataclass
class RolloverPlan:
    from_year: int
    changes: list[ClassChange] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)  # class id -> what is wrong

    @property
    def to_year(self) -> int:
        return self.from_year + 1


def rollover_plan(school: School, names: dict[int, str] | None = None,
                  teachers: dict[int, list[int]] | None = None) -> RolloverPlan:
    """The preview; ``names`` and ``teachers`` are the admin's edits (by class id)."""
    classes = all_classes(school.id)
    current = teachers_by_class(school.id)
    by_year: dict[int, list[SchoolClass]] = {}
    for c in classes:
        by_year.setdefault(c.year_group, []).append(c)
    pupils = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id,
                                                         Pupil.status == "active")))
    plan = RolloverPlan(current_start_year(school))
    for c in classes:
        leaves = c.year_group == 6
        new_year = c.year_group if leaves else c.year_group + 1
        # Teachers usually keep their year group: the class moving into Year 4 gets this
        # year's Year 4 teacher, when there is exactly one such class.
        default = [u.id for u in current.get(c.id, [])]
        same = by_year.get(new_year, [])
        if not leaves and len(same) == 1 and len(by_year.get(c.year_group, [])) == 1:
            default = [u.id for u in current.get(same[0].id, [])]
        change = ClassChange(
            c, leaves, (names or {}).get(c.id, next_name(c.name, c.year_group)).strip(),
            new_year, (teachers or {}).get(c.id, default) if not leaves else [])
        mine = [p for p in pupils if p.class_id == c.id]
        change.pupils = len(mine)
        change.to_ks2 = sum(1 for p in mine if p.year_group == 2)
        change.leavers = sum(1 for p in mine if p.year_group == 6)
        if leaves and change.leavers < change.pupils:
            plan.problems[c.id] = (f"{change.pupils - change.leavers} pupil(s) here are not in "
                                   "Year 6: move them to their new class first.")
        plan.changes.append(change)
    _check_names(school, plan)
    return plan


def _check_names(school: School, plan: RolloverPlan) -> None:
    staying = [c for c in plan.changes if not c.leaves]
    others = {n.casefold() for n in db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.school_id == school.id, SchoolClass.archived_at.is_not(None)))
        if n is not None}
    seen: dict[str, int] = {}
    for change in staying:
        key = change.new_name.casefold()
        if not change.new_name:
            plan.problems[change.school_class.id] = "Give the class a name."
        elif len(change.new_name) > 60:
            plan.problems[change.school_class.id] = "Use 60 characters or fewer."
        elif key in seen:
            plan.problems[change.school_class.id] = "Two classes would have this name."
        elif key in others:
            plan.problems[change.school_class.id] = ("An archived class already has this "
                                                     "name.")
        seen[key] = change.school_class.id


def apply_rollover(school: School, actor: User, plan: RolloverPlan,
                   from_year: int) -> list[SchoolClass]:
    """Write the plan; returns the classes whose pupils got new login cards."""
    if plan.problems:
        raise Refused("Fix the class names marked below first.")
    if current_start_year(school) != from_year:
        raise Refused("The school year has already moved on to "
                      f"{school_year_label(current_start_year(school))}. Nothing was changed.")
    now = utcnow()
    label = school_year_label(plan.from_year)
    carded: list[SchoolClass] = []
    # Names move in two steps, so "Year 3 Owls" can become "Year 4 Owls" while another
    # class becomes "Year 3 ...": the unique name rule never sees two at once.
    originals = {ch.school_class.id: ch.school_class.name for ch in plan.changes}
    for change in plan.changes:
        change.school_class.name = f"~rollover {change.school_class.id}"
    db.session.flush()
    pupils = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id,
                                                         Pupil.status == "active")))
    for change in plan.changes:
        c = change.school_class
        old = {"name": originals[c.id], "year_group": c.year_group}
        if _move_up(change, [p for p in pupils if p.class_id == c.id], now, label):
            carded.append(c)
        audit.record(school.id, actor, "year.class", "class", c.id,
                     f"{'Archived' if change.leaves else 'Moved up'}: {c.name}",
                     old, {"name": c.name, "year_group": c.year_group})
    school.academic_year = plan.to_year
    audit.record(school.id, actor, "year.rollover", "school", school.id,
                 f"New school year {school_year_label(plan.to_year)}",
                 {"academic_year": label}, {"academic_year": school_year_label(plan.to_year)})
    return carded


def _move_up(change: ClassChange, mine: list[Pupil], now: datetime, label: str) -> bool:
    """One class into the new year; True when its pupils got new login cards."""
    c = change.school_class
    if change.leaves:
        c.name = f"{change.new_name} ({label})"[:60]
        c.archived_at = now
        for link in db.session.scalars(select(ClassTeacher).where(
                ClassTeacher.class_id == c.id)):
            db.session.delete(link)
    else:
        c.name = change.new_name
        c.year_group = change.new_year
        _reassign(c, change.teacher_ids)
    got_cards = False
    for pupil in mine:
        if pupil.year_group == 6:
            pupil.status, pupil.left_at = "left", now
            pupil.user.end_sessions()
            continue
        pupil.year_group += 1
        if pupil.year_group == 3:
            give_credentials(pupil, c)
            got_cards = True
    return got_cards


def _reassign(c: SchoolClass, teacher_ids: list[int]) -> None:
    for link in db.session.scalars(select(ClassTeacher).where(ClassTeacher.class_id == c.id)):
        if link.user_id not in teacher_ids:
            db.session.delete(link)
    existing = set(db.session.scalars(select(ClassTeacher.user_id).where(
        ClassTeacher.class_id == c.id)))
    for user_id in set(teacher_ids) - existing:
        db.session.add(ClassTeacher(class_id=c.id, user_id=user_id))
