"""Who may see what, declared in one place. Views call these; tests walk every route."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from .db import db
from .models import LEAD_ROLES, ClassTeacher, ParentLink, Pupil, SchoolClass, User

# Which areas each kind of account may open (the table in DESIGN.md section 4).
AREA_RULES = {
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


def require(area: str):
    """Decorator: signed in, and allowed into ``area``; otherwise 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not may(current_user, area):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


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


def may_manage_class(user: User, school_class: SchoolClass | None) -> bool:
    if school_class is None or user.kind != "staff":
        return False
    if school_class.school_id != user.school_id:
        return False
    if user.has_role("school_admin"):
        return True
    if not user.has_role("teacher") or school_class.archived_at is not None:
        return False
    return db.session.get(ClassTeacher, (school_class.id, user.id)) is not None


def managed_class_or_404(user: User, class_id: int) -> SchoolClass:
    """The class behind a URL, if this member of staff manages it; otherwise "not found"."""
    school_class = db.session.get(SchoolClass, class_id)
    if not may_manage_class(user, school_class):
        abort(404)
    return school_class


def may_manage_pupil(user: User, pupil: Pupil | None) -> bool:
    """Change a pupil's details or sign-in: admins any in the school, teachers their own."""
    return (pupil is not None and pupil.school_id == user.school_id
            and may_manage_class(user, pupil.school_class))


def may_read_worry(user: User, worry) -> bool:
    return (worry is not None and user.has_role(*LEAD_ROLES)
            and worry.school_id == user.school_id)


def may_view_pupil(user: User, pupil: Pupil | None) -> bool:
    """A pupil sees themself; staff see pupils in classes they manage; parents later, own."""
    if pupil is None or pupil.school_id != user.school_id:
        return False
    if user.kind == "pupil":
        return user.pupil is not None and user.pupil.id == pupil.id
    if user.kind == "staff":
        return may_manage_class(user, pupil.school_class)
    return False


def own_children(user: User) -> list[Pupil]:
    """The children a parent may see: linked to them by their school, and still at it."""
    if user.kind != "parent":
        return []
    return list(db.session.scalars(
        select(Pupil).join(ParentLink, ParentLink.pupil_id == Pupil.id)
        .where(ParentLink.parent_id == user.id, ParentLink.school_id == user.school_id,
               Pupil.school_id == user.school_id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial)))


# --- set work and assessment ---
# Who may set work, release lessons, judge "I can" statements and read the reports. A
# teacher manages their own classes; a school admin every class of the school. Coverage
# across the school (no pupil names) is for every teacher and admin of the school.


def may_manage_work(user: User, assignment, school_class: SchoolClass | None) -> bool:
    """A piece of set work (or a group) belongs to a class the user manages, in their school."""
    return (assignment is not None and school_class is not None
            and assignment.class_id == school_class.id
            and assignment.school_id == user.school_id
            and may_manage_class(user, school_class))


def class_pupil(school_class: SchoolClass, pupil_id: int) -> Pupil | None:
    """A pupil of this class (still at the school), or None: the check behind pupil URLs."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.class_id != school_class.id or pupil.status != "active" \
            or pupil.school_id != school_class.school_id:
        return None
    return pupil


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
