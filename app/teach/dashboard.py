"""The staff home as a dashboard: what is set and due per class, and pupils who seem stuck.

Bounded queries: at most five for the whole page whatever the number of classes or pupils.
"Stuck" means a lesson started more than STUCK_DAYS days ago and not finished.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from ..content.model import Catalogue
from ..db import db
from ..models import (
    Assignment,
    AssignmentPupil,
    ClassTeacher,
    LessonProgress,
    Pupil,
    PupilGroupMember,
    SchoolClass,
)

STUCK_DAYS = 14


@dataclass(frozen=True)
class SetItem:
    title: str
    due_on: date | None
    done: int
    started: int
    not_started: int


@dataclass(frozen=True)
class StuckPupil:
    name: str
    lesson_title: str
    started_at: datetime


@dataclass
class ClassPanel:
    school_class: SchoolClass
    pupils: int = 0
    work: list[SetItem] = field(default_factory=list)
    stuck: list[StuckPupil] = field(default_factory=list)


def _title(catalogue: Catalogue, slug: str) -> str:
    lesson = catalogue.lesson(slug)
    return lesson.title if lesson else slug


def class_panels(classes: list[SchoolClass], catalogue: Catalogue,
                 now: datetime | None = None) -> list[ClassPanel]:
    """One panel per class; work counted over the active pupils it is set to."""
    panels = {c.id: ClassPanel(c) for c in classes}
    if not panels:
        return []
    pupils = list(db.session.scalars(select(Pupil).where(
        Pupil.class_id.in_(panels), Pupil.status == "active")))
    pupil_class = {p.id: p.class_id for p in pupils}
    for p in pupils:
        panels[p.class_id].pupils += 1
    progress: dict[tuple[int, str], LessonProgress] = {}
    if pupils:
        for row in db.session.scalars(select(LessonProgress).where(
                LessonProgress.pupil_id.in_(pupil_class))):
            progress[(row.pupil_id, row.lesson_slug)] = row
    work = list(db.session.scalars(select(Assignment).where(Assignment.class_id.in_(panels))
                                   .order_by(Assignment.due_on, Assignment.id)))
    targets = _targets(work, pupil_class)
    for a in work:
        ids = targets[a.id]
        rows = [progress.get((pid, a.lesson_slug)) for pid in ids]
        done = sum(1 for r in rows if r is not None and r.completed_at)
        started = sum(1 for r in rows if r is not None and not r.completed_at)
        panels[a.class_id].work.append(SetItem(_title(catalogue, a.lesson_slug), a.due_on,
                                               done, started, len(ids) - done - started))
    _add_stuck(panels, pupils, progress, catalogue, now)
    return list(panels.values())


def _targets(work: list[Assignment], pupil_class: dict[int, int]) -> dict[int, list[int]]:
    """Pupil ids each piece of work is for (two queries for all classes)."""
    chosen: dict[int, set[int]] = {a.id: set() for a in work}
    members: dict[int, set[int]] = {a.group_id: set() for a in work if a.group_id}
    if any(a.target == "pupils" for a in work):
        for aid, pid in db.session.execute(select(
                AssignmentPupil.assignment_id, AssignmentPupil.pupil_id).where(
                AssignmentPupil.assignment_id.in_(chosen))):
            chosen[aid].add(pid)
    if members:
        for gid, pid in db.session.execute(select(
                PupilGroupMember.group_id, PupilGroupMember.pupil_id).where(
                PupilGroupMember.group_id.in_(members))):
            members[gid].add(pid)
    out: dict[int, list[int]] = {}
    for a in work:
        in_class = {pid for pid, cid in pupil_class.items() if cid == a.class_id}
        ids = (in_class if a.target == "class" else members.get(a.group_id or 0, set())
               if a.target == "group" else chosen[a.id])
        out[a.id] = sorted(ids & in_class)
    return out


def _add_stuck(panels: dict[int, ClassPanel], pupils: list[Pupil],
               progress: dict[tuple[int, str], LessonProgress], catalogue: Catalogue,
               now: datetime | None) -> None:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=STUCK_DAYS)
    by_id = {p.id: p for p in pupils}
    for (pid, slug), row in sorted(progress.items()):
        started = row.started_at if row.started_at.tzinfo else row.started_at.replace(
            tzinfo=UTC)
        if row.completed_at is None and started < cutoff:
            p = by_id[pid]
            panels[p.class_id].stuck.append(StuckPupil(
                f"{p.first_name} {p.surname_initial}", _title(catalogue, slug), started))


@dataclass(frozen=True)
class SetupTask:
    text: str
    endpoint: str


def setup_tasks(school_id: int) -> list[SetupTask]:
    """The admin's set-up tasks that are really waiting (one query). Only classes with no
    teacher so far; other tasks (two-step, unused family codes, new year) are not built."""
    taught = select(ClassTeacher.class_id)
    names = list(db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.school_id == school_id, SchoolClass.archived_at.is_(None),
        SchoolClass.id.not_in(taught)).order_by(SchoolClass.name)))
    return [SetupTask(f"{n} has no teacher", "admin.class_list") for n in names]
