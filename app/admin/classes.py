"""Classes: created, renamed, given teachers, archived (never deleted: progress points at
pupils, not classes, but a class name in old reports still means something)."""

from __future__ import annotations

from sqlalchemy import func, select

from ..db import db, utcnow
from ..models import ClassTeacher, Pupil, School, SchoolClass, StaffRole, User
from . import audit
from .errors import Refused


def all_classes(school_id: int, archived: bool = False) -> list[SchoolClass]:
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    query = query.where(SchoolClass.archived_at.is_not(None) if archived
                        else SchoolClass.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(SchoolClass.year_group, SchoolClass.name)))


def pupil_counts(school_id: int) -> dict[int, int]:
    return dict(db.session.execute(
        select(Pupil.class_id, func.count(Pupil.id))
        .where(Pupil.school_id == school_id, Pupil.status == "active")
        .group_by(Pupil.class_id)).all())


def teachers(school_id: int) -> list[User]:
    """Active staff with the teacher role: who can be given a class."""
    return list(db.session.scalars(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(User.school_id == school_id, User.enabled.is_(True), StaffRole.role == "teacher")
        .order_by(User.display_name)))


def teachers_by_class(school_id: int) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for class_id, user in db.session.execute(
            select(ClassTeacher.class_id, User).join(User, User.id == ClassTeacher.user_id)
            .where(User.school_id == school_id).order_by(User.display_name)):
        out.setdefault(class_id, []).append(user)
    return out


def _name_problem(school_id: int, name: str, exclude: int | None = None) -> str | None:
    if not name:
        return "Give the class a name."
    clash = db.session.scalar(select(SchoolClass).where(
        SchoolClass.school_id == school_id, func.lower(SchoolClass.name) == name.lower(),
        SchoolClass.id != (exclude or 0)))
    if clash is not None:
        where = " (archived)" if clash.archived_at else ""
        return f"There is already a class called \u201c{clash.name}\u201d{where}."
    return None


def _teacher_ids(school_id: int, wanted: list[int]) -> list[int]:
    allowed = {u.id for u in teachers(school_id)}
    if not set(wanted) <= allowed:
        raise Refused("Choose teachers from the list.", "teachers")
    return sorted(set(wanted))


def _set_teachers(school_class: SchoolClass, ids: list[int]) -> None:
    current = set(db.session.scalars(select(ClassTeacher.user_id).where(
        ClassTeacher.class_id == school_class.id)))
    for user_id in current - set(ids):
        db.session.delete(db.session.get(ClassTeacher, (school_class.id, user_id)))
    for user_id in set(ids) - current:
        db.session.add(ClassTeacher(class_id=school_class.id, user_id=user_id))


def _names(ids: list[int]) -> list[str]:
    if not ids:
        return []
    return sorted(db.session.scalars(select(User.display_name).where(User.id.in_(ids))))


def create_class(school: School, actor: User | None, name: str, year_group: int,
                 teacher_ids: list[int]) -> SchoolClass:
    name = " ".join(name.split())
    problem = _name_problem(school.id, name)
    if problem:
        raise Refused(problem, "name")
    if year_group not in range(1, 7):
        raise Refused("Choose a year group from 1 to 6.", "year_group")
    ids = _teacher_ids(school.id, teacher_ids)
    school_class = SchoolClass(school_id=school.id, name=name, year_group=year_group)
    db.session.add(school_class)
    db.session.flush()
    _set_teachers(school_class, ids)
    audit.record(school.id, actor, "class.add", "class", school_class.id,
                 f"Created {name} (Year {year_group})",
                 after={"name": name, "year_group": year_group, "teachers": _names(ids)})
    return school_class


def update_class(school_class: SchoolClass, actor: User, name: str, year_group: int,
                 teacher_ids: list[int] | None, pupils_choose_password: bool) -> None:
    """Rename, change year, teachers (admins only: None keeps them) or the password rule."""
    name = " ".join(name.split())
    problem = _name_problem(school_class.school_id, name, exclude=school_class.id)
    if problem:
        raise Refused(problem, "name")
    if year_group not in range(1, 7):
        raise Refused("Choose a year group from 1 to 6.", "year_group")
    current_ids = sorted(db.session.scalars(select(ClassTeacher.user_id).where(
        ClassTeacher.class_id == school_class.id)))
    before = {"name": school_class.name, "year_group": school_class.year_group,
              "teachers": _names(current_ids),
              "pupils_choose_password": school_class.pupils_choose_password}
    ids = current_ids if teacher_ids is None else _teacher_ids(school_class.school_id,
                                                               teacher_ids)
    school_class.name = name
    school_class.year_group = year_group
    if school_class.pupils_choose_password != pupils_choose_password:
        school_class.pupils_choose_password = pupils_choose_password
        # Pupils still on their card's password follow the class's new rule.
        for pupil in db.session.scalars(select(Pupil).where(
                Pupil.class_id == school_class.id, Pupil.card_password.is_not(None))):
            pupil.user.must_change_password = pupils_choose_password
    _set_teachers(school_class, ids)
    after = {"name": name, "year_group": year_group, "teachers": _names(ids),
             "pupils_choose_password": pupils_choose_password}
    old, new = audit.changed(before, after)
    if new:
        audit.record(school_class.school_id, actor, "class.edit", "class", school_class.id,
                     f"Changed {name}: {', '.join(new)}", old, new)


def archive_class(school_class: SchoolClass, actor: User | None) -> None:
    active = db.session.scalar(select(func.count(Pupil.id)).where(
        Pupil.class_id == school_class.id, Pupil.status == "active")) or 0
    if active:
        raise Refused(f"{school_class.name} still has {active} pupil"
                      f"{'s' if active != 1 else ''}. Move them to another class or mark "
                      "them as left first.")
    school_class.archived_at = utcnow()
    audit.record(school_class.school_id, actor, "class.archive", "class", school_class.id,
                 f"Archived {school_class.name}", {"archived": False}, {"archived": True})
