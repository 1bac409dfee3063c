"""Who may see what, declared in one place. Views call these; tests walk every route.

Each kind of object has a pair, next to each other (Kolibri's pattern): ``may_*(user, obj)``
answers "may this user open this one object", and a query helper lists the objects of that
kind the user may see, for the list pages. ``*_or_404`` turns a refusal into "not found":
a URL to another school's or another class's object looks like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, false, select

from .db import db
from .models import (
    LEAD_ROLES,
    Assignment,
    ClassTeacher,
    ImportBatch,
    ParentLink,
    Pupil,
    PupilGroup,
    SchoolClass,
    User,
    Worry,
)

P = ParamSpec("P")
R = TypeVar("R")

# Which areas each kind of account may open (the table in DESIGN.md section 4).
AREA_RULES: dict[str, Callable[[User], bool]] = {
    "learn": lambda u: u.kind == "pupil",
    "family": lambda u: u.kind == "parent",
    "staff": lambda u: u.kind == "staff",
    "teach": lambda u: u.has_role("teacher", "school_admin"),
    # Only safeguarding leads and their deputies read worries: not admins, teachers or parents
    # (unless they also hold one of those roles).
    "safeguarding": lambda u: u.has_role(*LEAD_ROLES),
    # Staff accounts, roles, the school year and family links.
    "admin": lambda u: u.has_role("school_admin"),
}


def may(user: User, area: str) -> bool:
    return bool(user.is_authenticated and AREA_RULES[area](user))


def require(area: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: signed in, and allowed into ``area``; otherwise 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not may(current_user, area):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- classes ---


def may_manage_class(user: User, school_class: SchoolClass | None) -> bool:
    """Admins manage every class of their school; teachers their own, not archived."""
    if school_class is None or user.kind != "staff":
        return False
    if school_class.school_id != user.school_id:
        return False
    if user.has_role("school_admin"):
        return True
    if not user.has_role("teacher") or school_class.archived_at is not None:
        return False
    return db.session.get(ClassTeacher, (school_class.id, user.id)) is not None


def visible_classes(user: User) -> list[SchoolClass]:
    """Classes a member of staff may manage: all in the school for admins, own for teachers."""
    query = select(SchoolClass).where(SchoolClass.school_id == user.school_id,
                                      SchoolClass.archived_at.is_(None))
    if not user.has_role("school_admin"):
        if not user.has_role("teacher"):
            return []
        query = query.join(ClassTeacher, ClassTeacher.class_id == SchoolClass.id).where(
            ClassTeacher.user_id == user.id
        )
    return list(db.session.scalars(query.order_by(SchoolClass.year_group, SchoolClass.name)))


def managed_class_or_404(user: User, class_id: int) -> SchoolClass:
    """The class behind a URL, if this member of staff manages it; otherwise "not found"."""
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not may_manage_class(user, school_class):
        abort(404)
    return school_class


# --- pupils ---


def may_manage_pupil(user: User, pupil: Pupil | None) -> bool:
    """Change a pupil's details or sign-in: admins any in the school, teachers their own."""
    return (pupil is not None and pupil.school_id == user.school_id
            and may_manage_class(user, pupil.school_class))


def class_roll(school_class: SchoolClass) -> list[Pupil]:
    """The pupils still at the school in one class, by name: for a class already allowed."""
    return list(db.session.scalars(
        select(Pupil).where(Pupil.class_id == school_class.id, Pupil.status == "active",
                            Pupil.school_id == school_class.school_id)
        .order_by(Pupil.first_name, Pupil.surname_initial, Pupil.id)))


def visible_pupils(user: User, school_class: SchoolClass) -> list[Pupil]:
    """The pupils of one class this user may see (none for a class they do not manage)."""
    return class_roll(school_class) if may_manage_class(user, school_class) else []


def managed_pupil_or_404(user: User, pupil_id: int) -> Pupil:
    """A pupil still at the school whom this member of staff manages; otherwise "not found"."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not may_manage_pupil(user, pupil) or pupil.status != "active":
        abort(404)
    return pupil


def class_pupil(school_class: SchoolClass, pupil_id: int) -> Pupil | None:
    """A pupil of this class (still at the school), or None: the check behind pupil URLs."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.class_id != school_class.id or pupil.status != "active" \
            or pupil.school_id != school_class.school_id:
        return None
    return pupil


def own_children(user: User) -> list[Pupil]:
    """The children a parent may see: linked to them by their school, and still at it."""
    if user.kind != "parent":
        return []
    return list(db.session.scalars(
        select(Pupil).join(ParentLink, ParentLink.pupil_id == Pupil.id)
        .where(ParentLink.parent_id == user.id, ParentLink.school_id == user.school_id,
               Pupil.school_id == user.school_id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial)))


# --- staff accounts, family links and imports (the admin area) ---


def may_manage_staff(user: User, person: User | None) -> bool:
    """School admins manage the staff accounts of their own school."""
    return (person is not None and person.kind == "staff" and user.has_role("school_admin")
            and person.school_id == user.school_id)


def visible_staff(user: User) -> list[User]:
    """The staff accounts an admin manages: every one of the school, active ones first."""
    if not user.has_role("school_admin"):
        return []
    return list(db.session.scalars(
        select(User).where(User.school_id == user.school_id, User.kind == "staff")
        .order_by(User.enabled.desc(), User.display_name)))


def managed_staff_or_404(user: User, person_id: int) -> User:
    person = db.session.get(User, person_id)
    if person is None or not may_manage_staff(user, person):
        abort(404)
    return person


def may_manage_link(user: User, link: ParentLink | None) -> bool:
    """A family link (carer to child) is managed by the admins of the child's school."""
    return (link is not None and user.has_role("school_admin")
            and link.school_id == user.school_id)


def may_use_import(user: User, batch: ImportBatch | None) -> bool:
    """An uploaded class list is previewed and confirmed only by the person who uploaded it."""
    return (batch is not None and batch.school_id == user.school_id
            and batch.created_by_id == user.id)


# --- set work and assessment ---
# Who may set work, release lessons, judge "I can" statements and read the reports. A
# teacher manages their own classes; a school admin every class of the school. Coverage
# across the school (no pupil names) is for every teacher and admin of the school.


def may_manage_work(user: User, assignment: Assignment | PupilGroup | None,
                    school_class: SchoolClass | None) -> bool:
    """A piece of set work (or a group) belongs to a class the user manages, in their school."""
    return (assignment is not None and school_class is not None
            and assignment.class_id == school_class.id
            and assignment.school_id == user.school_id
            and may_manage_class(user, school_class))


def managed_work_or_404(user: User, school_class: SchoolClass, assignment_id: int
                        ) -> Assignment:
    """The set work behind a URL, if it is of this class and the user manages the class."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not may_manage_work(user, assignment, school_class):
        abort(404)
    return assignment


def managed_group_or_404(user: User, school_class: SchoolClass, group_id: int) -> PupilGroup:
    """A group of pupils behind a URL, if it is of this class and the user manages the class."""
    group = db.session.get(PupilGroup, group_id)
    if group is None or not may_manage_work(user, group, school_class):
        abort(404)
    return group


def may_see_coverage(user: User) -> bool:
    """The computing lead, head and every teacher see strand coverage (classes, no pupils)."""
    return bool(user.is_authenticated and user.has_role("teacher", "school_admin"))


def coverage_classes(user: User) -> list[SchoolClass]:
    """Every class of the user's school, for the coverage summary (class-level only)."""
    if not may_see_coverage(user):
        return []
    return list(db.session.scalars(select(SchoolClass).where(
        SchoolClass.school_id == user.school_id, SchoolClass.archived_at.is_(None))
        .order_by(SchoolClass.year_group, SchoolClass.name)))


# --- worries (the views are the safeguarding desk's) ---


def may_read_worry(user: User, worry: Any) -> bool:
    return (worry is not None and user.has_role(*LEAD_ROLES)
            and worry.school_id == user.school_id)


def readable_worries(user: User) -> Select[Worry]:
    """Worries a lead may read, as a statement the inbox filters, orders and pages."""
    query = select(Worry).where(Worry.school_id == user.school_id)
    return query if user.has_role(*LEAD_ROLES) else query.where(false())
