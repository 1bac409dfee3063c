"""Set work, pupil groups and which lessons a class may open. Plain functions, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, delete, func, or_, select

from ..content.model import Catalogue, Lesson
from ..db import db, utcnow
from ..models import (
    Assignment,
    AssignmentPupil,
    LessonProgress,
    LessonRelease,
    Pupil,
    PupilGroup,
    PupilGroupMember,
    QuizAnswer,
    SchoolClass,
    User,
)
from ..permissions import class_roll
from .dates import school_today


class WorkError(ValueError):
    """Bad input for set work or groups; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


STATUSES = {"done": "Finished", "started": "Under way", "none": "Not started"}


def class_groups(school_class: SchoolClass) -> list[tuple[PupilGroup, list[int]]]:
    """The class's groups with their members' ids (two queries)."""
    groups = list(db.session.scalars(select(PupilGroup).where(
        PupilGroup.class_id == school_class.id).order_by(PupilGroup.name)))
    members: dict[int, list[int]] = {g.id: [] for g in groups}
    if groups:
        for gid, pid in db.session.execute(select(PupilGroupMember.group_id,
                                                  PupilGroupMember.pupil_id).where(
                PupilGroupMember.group_id.in_(members))):
            members[gid].append(pid)
    return [(g, members[g.id]) for g in groups]


@dataclass(frozen=True)
class Work:
    """One piece of set work with the pupils it is for (resolved from class, group or list)."""

    assignment: Assignment
    lesson: Lesson | None
    pupil_ids: frozenset[int]
    group_name: str = ""
    set_by: str = ""

    @property
    def target_label(self) -> str:
        a = self.assignment
        if a.target == "class":
            return "Whole class"
        if a.target == "group":
            return f"Group: {self.group_name}" if self.group_name else "A group (removed)"
        n = len(self.pupil_ids)
        return f"{n} chosen pupil{'s' if n != 1 else ''}"


def class_work(school_class: SchoolClass, pupils: list[Pupil], catalogue: Catalogue,
               groups: list[tuple[PupilGroup, list[int]]] | None = None) -> list[Work]:
    """Every piece of work set to the class, newest first (three queries with the groups)."""
    if groups is None:
        groups = class_groups(school_class)
    rows = list(db.session.execute(
        select(Assignment, User.display_name).join(User, User.id == Assignment.set_by_id)
        .where(Assignment.class_id == school_class.id,
               Assignment.school_id == school_class.school_id)
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())))
    chosen: dict[int, set[int]] = {a.id: set() for a, _ in rows if a.target == "pupils"}
    if chosen:
        for aid, pid in db.session.execute(select(AssignmentPupil.assignment_id,
                                                  AssignmentPupil.pupil_id).where(
                AssignmentPupil.assignment_id.in_(chosen))):
            chosen[aid].add(pid)
    in_class = {p.id for p in pupils}
    by_group = {g.id: (g.name, set(m)) for g, m in groups}
    out = []
    for a, who in rows:
        name = ""
        if a.target == "class":
            ids = set(in_class)
        elif a.target == "group":
            name, ids = by_group.get(a.group_id or 0, ("", set()))
        else:
            ids = chosen.get(a.id, set())
        out.append(Work(a, catalogue.lesson(a.lesson_slug), frozenset(ids & in_class), name,
                        who))
    return out


def work_status(work: Work, progress: dict[int, dict[str, LessonProgress]],
                baseline_answered: dict[int, set[str]] | None = None) -> dict[str, list[int]]:
    """Pupil ids by status: finished, under way, not started."""
    out: dict[str, list[int]] = {k: [] for k in STATUSES}
    lesson = work.lesson
    for pid in sorted(work.pupil_ids):
        if lesson is None:
            out["none"].append(pid)
        elif work.assignment.kind == "baseline":
            answered = (baseline_answered or {}).get(pid, set())
            total = {q.id for q in lesson.quiz.questions}
            n = len(answered & total)
            out["done" if n == len(total) else "started" if n else "none"].append(pid)
        else:
            row = progress.get(pid, {}).get(lesson.slug)
            out["done" if row and row.completed_at else "started" if row else "none"].append(
                pid)
    return out


def baseline_answered(pupil_ids: list[int], slugs: Iterable[str]) -> dict[int, set[str]]:
    """For each pupil, the question ids they answered in a baseline check (one query)."""
    slugs = list(slugs)
    out: dict[int, set[str]] = {}
    if not pupil_ids or not slugs:
        return out
    for pid, slug, qid in db.session.execute(
            select(QuizAnswer.pupil_id, QuizAnswer.lesson_slug, QuizAnswer.question_id)
            .where(QuizAnswer.pupil_id.in_(pupil_ids), QuizAnswer.lesson_slug.in_(slugs),
                   QuizAnswer.baseline).distinct()):
        out.setdefault(pid, set()).add(f"{slug}:{qid}")
    return out


def baseline_for_lesson(answered: dict[int, set[str]], slug: str) -> dict[int, set[str]]:
    prefix = f"{slug}:"
    return {pid: {k[len(prefix):] for k in keys if k.startswith(prefix)}
            for pid, keys in answered.items()}


def check_dates(starts_on: date | None, due_on: date | None) -> None:
    if starts_on and due_on and due_on < starts_on:
        raise WorkError("due_on", f"The due date ({due_on:%d/%m/%Y}) is before the start date "
                        f"({starts_on:%d/%m/%Y}). Choose a due date on or after the start.")


def _chosen_lessons(school_class: SchoolClass, catalogue: Catalogue,
                    lessons: list[str]) -> list[Lesson]:
    """The lessons asked for: of this class's key stage and not held back for it."""
    if not lessons:
        raise WorkError("lessons", "Choose at least one lesson to set.")
    chosen = []
    for slug in lessons:
        lesson = catalogue.lesson(slug)
        if lesson is None or lesson.band != school_class.band:
            raise WorkError("lessons", "Choose lessons from this class's key stage.")
        chosen.append(lesson)
    held = releases(school_class)
    for lesson in chosen:
        if held.get(lesson.slug) == "held":
            raise WorkError("lessons", f"\u201c{lesson.title}\u201d is held back for this "
                            "class. Release it on the class's lessons page first.")
    return chosen


def _group_members(school_class: SchoolClass, group_id: int | None,
                   in_class: set[int]) -> list[int]:
    group = db.session.get(PupilGroup, group_id) if group_id else None
    if group is None or group.class_id != school_class.id:
        raise WorkError("group", "Choose one of this class's groups.")
    members = [pid for g, m in class_groups(school_class) if g.id == group.id for pid in m
               if pid in in_class]
    if not members:
        raise WorkError("group", f"The group \u201c{group.name}\u201d has no pupils in "
                        "this class. Add pupils to it or choose another group.")
    return members


def _chosen_pupils(school_class: SchoolClass, target: str, group_id: int | None,
                   pupil_ids: list[int]) -> list[int]:
    """Check who the work is for; for chosen pupils, those of them in the class."""
    in_class = {p.id for p in class_roll(school_class)}
    if not in_class:
        raise WorkError("target", f"{school_class.name} has no pupils yet, so there is no one "
                        "to set work to.")
    if target == "group":
        _group_members(school_class, group_id, in_class)
        return []
    if target == "pupils":
        chosen = [pid for pid in dict.fromkeys(pupil_ids) if pid in in_class]
        if not chosen:
            raise WorkError("pupils", "Choose at least one pupil.")
        return chosen
    if target != "class":
        raise WorkError("target", "Choose who the work is for.")
    return []


def set_work(school_class: SchoolClass, teacher: User, catalogue: Catalogue, *,
             lessons: list[str], kind: str, target: str, group_id: int | None,
             pupil_ids: list[int], starts_on: date | None, due_on: date | None,
             note: str) -> list[Assignment]:
    """Set each lesson to the class, a group or chosen pupils; all or nothing."""
    chosen_lessons = _chosen_lessons(school_class, catalogue, lessons)
    check_dates(starts_on, due_on)
    pupil_ids = _chosen_pupils(school_class, target, group_id, pupil_ids)
    now = utcnow()
    made = [Assignment(school_id=school_class.school_id, class_id=school_class.id,
                       lesson_slug=lesson.slug, kind=kind, target=target,
                       group_id=group_id if target == "group" else None, starts_on=starts_on,
                       due_on=due_on, note=note.strip(), set_by_id=teacher.id, created_at=now)
            for lesson in chosen_lessons]
    db.session.add_all(made)
    db.session.flush()
    if target == "pupils":
        db.session.add_all(AssignmentPupil(assignment_id=a.id, pupil_id=pid)
                           for a in made for pid in pupil_ids)
        db.session.flush()
    return made


def remove_work(assignment: Assignment) -> None:
    db.session.execute(delete(AssignmentPupil).where(
        AssignmentPupil.assignment_id == assignment.id))
    db.session.delete(assignment)
    db.session.flush()


def _group_name_and_pupils(school_class: SchoolClass, name: str, pupil_ids: list[int],
                           keep: PupilGroup | None = None) -> tuple[str, list[int]]:
    """A group's tidied name and its pupils in the class; a clear WorkError otherwise.
    ``keep``: the group being changed, which may keep its own name."""
    name = " ".join(name.split())
    if not name:
        raise WorkError("name", "Give the group a name.")
    in_class = {p.id for p in class_roll(school_class)}
    ids = [pid for pid in dict.fromkeys(pupil_ids) if pid in in_class]
    if not ids:
        raise WorkError("pupils", "Choose at least one pupil for the group.")
    same_name = select(func.count(PupilGroup.id)).where(
        PupilGroup.class_id == school_class.id, PupilGroup.name == name)
    if keep is not None:
        same_name = same_name.where(PupilGroup.id != keep.id)
    if db.session.scalar(same_name):
        raise WorkError("name", f"{school_class.name} already has a group called "
                        f"\u201c{name}\u201d. Choose another name.")
    return name, ids


def create_group(school_class: SchoolClass, teacher: User, name: str,
                 pupil_ids: list[int]) -> PupilGroup:
    name, ids = _group_name_and_pupils(school_class, name, pupil_ids)
    group = PupilGroup(school_id=school_class.school_id, class_id=school_class.id, name=name,
                       created_by_id=teacher.id)
    db.session.add(group)
    db.session.flush()
    db.session.add_all(PupilGroupMember(group_id=group.id, pupil_id=pid) for pid in ids)
    db.session.flush()
    return group


def change_group(school_class: SchoolClass, group: PupilGroup, name: str,
                 pupil_ids: list[int]) -> None:
    """Rename a group and choose its pupils again. Work set to the group follows its new
    members; what pupils have already done is theirs. The view commits."""
    group.name, ids = _group_name_and_pupils(school_class, name, pupil_ids, keep=group)
    db.session.execute(delete(PupilGroupMember).where(PupilGroupMember.group_id == group.id))
    db.session.add_all(PupilGroupMember(group_id=group.id, pupil_id=pid) for pid in ids)
    db.session.flush()


def remove_group(group: PupilGroup) -> int:
    """Remove a group; work set to it is no longer set (pupils keep what they did). Returns
    how many pieces of work were set to it. The view commits."""
    work = list(db.session.scalars(select(Assignment).where(Assignment.group_id == group.id)))
    for a in work:
        db.session.delete(a)
    db.session.execute(delete(PupilGroupMember).where(PupilGroupMember.group_id == group.id))
    db.session.delete(group)
    db.session.flush()
    return len(work)


def change_work(assignment: Assignment, *, starts_on: date | None, due_on: date | None,
                note: str) -> None:
    """New dates or note for set work; the lesson and who it is for stay. The view commits."""
    check_dates(starts_on, due_on)
    assignment.starts_on, assignment.due_on, assignment.note = starts_on, due_on, note.strip()
    db.session.flush()


# --- which lessons a class may open -------------------------------------------------------

def releases(school_class: SchoolClass) -> dict[str, str]:
    """lesson slug -> "released" or "held", for this class (one query)."""
    return dict(db.session.execute(select(LessonRelease.lesson_slug, LessonRelease.state).where(
        LessonRelease.class_id == school_class.id)).all())


def set_release(school_class: SchoolClass, teacher: User, lesson: Lesson,
                state: str | None) -> None:
    """Release a later lesson early, hold any lesson back, or go back to the year rule."""
    row = db.session.scalar(select(LessonRelease).where(
        LessonRelease.class_id == school_class.id, LessonRelease.lesson_slug == lesson.slug))
    default_open = lesson.visible_to_year(school_class.year_group)
    if state is None or (state == "released" and default_open):
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(LessonRelease(school_id=school_class.school_id, class_id=school_class.id,
                                     lesson_slug=lesson.slug, state=state,
                                     set_by_id=teacher.id))
    else:
        row.state, row.set_by_id, row.updated_at = state, teacher.id, utcnow()
    db.session.flush()


def open_by_default(lesson: Lesson, year_group: int, state: str | None) -> bool:
    """Open to a class without set work: the year rule, unless released early or held back."""
    if state == "held":
        return False
    return state == "released" or lesson.visible_to_year(year_group)


# --- a pupil's own set work and lessons -----------------------------------------------------

def _targets_pupil(pupil: Pupil) -> ColumnElement[bool]:
    """A WHERE clause: assignments of the pupil's class that are for this pupil."""
    in_group = select(PupilGroupMember.group_id).where(PupilGroupMember.pupil_id == pupil.id)
    chosen = select(AssignmentPupil.assignment_id).where(AssignmentPupil.pupil_id == pupil.id)
    return (Assignment.class_id == pupil.class_id) & (Assignment.school_id == pupil.school_id) \
        & or_(Assignment.target == "class",
              (Assignment.target == "group") & Assignment.group_id.in_(in_group),
              (Assignment.target == "pupils") & Assignment.id.in_(chosen))


def pupil_work(pupil: Pupil, catalogue: Catalogue, today: date | None = None,
               slug: str | None = None) -> list[Work]:
    """Work set to this pupil that has started (one query), soonest due first."""
    today = today or school_today()
    query = select(Assignment).where(_targets_pupil(pupil), or_(
        Assignment.starts_on.is_(None), Assignment.starts_on <= today))
    if slug is not None:
        query = query.where(Assignment.lesson_slug == slug)
    out = []
    for a in db.session.scalars(query.order_by(Assignment.created_at.desc(),
                                               Assignment.id.desc())):
        lesson = catalogue.lesson(a.lesson_slug)
        if lesson is not None and lesson.band == pupil.band:
            out.append(Work(a, lesson, frozenset({pupil.id})))
    out.sort(key=lambda w: (w.assignment.due_on is None, w.assignment.due_on or today))
    return out


def pupil_lessons(pupil: Pupil, catalogue: Catalogue, work: list[Work]) -> list[Lesson]:
    """The lessons a pupil sees (one query): their year's and earlier years' of the key stage,
    and any released early or set to them, except lessons held back for their class."""
    state = releases(pupil.school_class) if pupil.school_class else {}
    set_slugs = {w.lesson.slug for w in work if w.lesson}
    return [lesson for lesson in catalogue.by_band[pupil.band]
            if state.get(lesson.slug) != "held" and (
                open_by_default(lesson, pupil.year_group, state.get(lesson.slug))
                or lesson.slug in set_slugs)]


def may_open_lesson(pupil: Pupil, lesson: Lesson) -> bool:
    """A pupil may open a lesson of their band unless it is held back for their class, or is
    for a later year and neither released nor set to them. One query in the usual case."""
    if lesson.band != pupil.band:
        return False
    state = db.session.scalar(select(LessonRelease.state).where(
        LessonRelease.class_id == pupil.class_id, LessonRelease.lesson_slug == lesson.slug))
    if open_by_default(lesson, pupil.year_group, state):
        return True
    if state == "held":
        return False
    return bool(pupil_work(pupil, _catalogue_stub(lesson), slug=lesson.slug))


def _catalogue_stub(lesson: Lesson) -> Catalogue:
    return Catalogue(lessons={lesson.slug: lesson}, by_band={lesson.band: (lesson,)})
