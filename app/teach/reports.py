"""Class progress in a fixed number of queries, whatever the class size."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..content.model import Catalogue, Lesson
from ..db import db
from ..learn.progress import percent
from ..models import LessonProgress, Pupil, SchoolClass


@dataclass(frozen=True)
class PupilRow:
    pupil: Pupil
    cells: list[int | None]  # percent per lesson, None when not started
    completed: int


def class_grid(catalogue: Catalogue, school_class: SchoolClass) -> tuple[list[Lesson],
                                                                          list[PupilRow]]:
    lessons = list(catalogue.by_band[school_class.band])
    pupils = list(db.session.scalars(
        select(Pupil).where(Pupil.class_id == school_class.id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial)))
    rows_by_pupil: dict[int, dict[str, LessonProgress]] = {p.id: {} for p in pupils}
    if pupils:
        for row in db.session.scalars(select(LessonProgress).where(
                LessonProgress.pupil_id.in_(rows_by_pupil))):
            rows_by_pupil[row.pupil_id][row.lesson_slug] = row
    out = []
    for p in pupils:
        mine = rows_by_pupil[p.id]
        cells = [percent(lesson, mine[lesson.slug]) if lesson.slug in mine else None
                 for lesson in lessons]
        out.append(PupilRow(p, cells, sum(1 for c in cells if c == 100)))
    return lessons, out
