"""Teacher reports, each in a fixed number of queries whatever the class size: the class
page, one lesson across the class, one pupil, and coverage across the school."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from ..content.model import STRANDS, Catalogue, Lesson
from ..db import db
from ..learn.progress import percent
from ..models import LEVELS, Pupil, PupilGroup, SchoolClass
from ..permissions import class_roll
from .assessment import (
    Evidence,
    LessonReport,
    StatementLevel,
    lesson_report,
    load_evidence,
    load_grid,
    percent_of,
    statement_levels,
    stuck_reasons,
    valid_tries,
)
from .assignments import (
    Work,
    baseline_answered,
    baseline_for_lesson,
    class_groups,
    class_work,
    open_by_default,
    releases,
    work_status,
)


@dataclass(frozen=True)
class Cell:
    status: str  # "done", "started", "none"
    percent: int  # how far through
    right: int
    tried: int

    @property
    def score(self) -> int | None:
        return percent_of(self.right, self.tried)

    @property
    def mark(self) -> str:
        """What the grid cell shows: ✓ finished, … under way, – not started; the score."""
        symbol = {"done": "\u2713", "started": "\u2026", "none": "\u2013"}[self.status]
        score = self.score
        return symbol if score is None else f"{symbol} {score}%"

    @property
    def html(self) -> Markup:
        """The grid cell, built once for each distinct value (a class has few of them)."""
        return _cell_html(self.status, self.percent, self.right, self.tried)

    @property
    def spoken(self) -> str:
        """The same for a screen reader."""
        if self.status == "done":
            return " finished"
        if self.status == "started":
            return f" under way, {self.percent}% through"
        return " not started"


@dataclass(frozen=True)
class PupilRow:
    pupil: Pupil
    cells: list[Cell]
    completed: int
    stuck: list[str]

    @property
    def cells_html(self) -> Markup:
        """Every cell of the row: 30 pupils x 31 lessons through Jinja one by one was half
        of the class page's time (bench/run.py class)."""
        return Markup("").join(c.html for c in self.cells)

    @property
    def right(self) -> int:
        return sum(c.right for c in self.cells)

    @property
    def tried(self) -> int:
        return sum(c.tried for c in self.cells)


@dataclass(frozen=True)
class WorkRow:
    work: Work
    status: dict[str, list[Pupil]]


@dataclass
class ClassPage:
    school_class: SchoolClass
    lessons: list[Lesson]
    open_slugs: set[str]
    rows: list[PupilRow]
    work: list[WorkRow]
    groups: list[tuple[PupilGroup, list[int]]]
    release_state: dict[str, str]
    pupils: list[Pupil] = field(default_factory=list)

    @property
    def stuck(self) -> list[PupilRow]:
        return [r for r in self.rows if r.stuck]


@functools.lru_cache(maxsize=4096)
def _cell_html(status: str, percent_done: int, right: int, tried: int) -> Markup:
    cell = Cell(status, percent_done, right, tried)
    return Markup('<td class="cell-{}">{}<span class="visually-hidden">{}</span></td>\n'
                  ).format(cell.status, cell.mark, cell.spoken)


def _cell(lesson: Lesson, pupil: Pupil, ev: Evidence) -> Cell:
    row = ev.progress.get(pupil.id, {}).get(lesson.slug)
    tries = valid_tries(lesson, ev.tries_for(pupil.id, lesson.slug))
    status = "done" if row and row.completed_at else "started" if row else "none"
    return Cell(status, percent(lesson, row), sum(t.correct for t in tries), len(tries))


def class_page(catalogue: Catalogue, school_class: SchoolClass) -> ClassPage:
    lessons = list(catalogue.by_band[school_class.band])
    pupils = class_roll(school_class)
    ids = [p.id for p in pupils]
    grid = load_grid(school_class.id, lessons)
    groups = class_groups(school_class)
    work = class_work(school_class, pupils, catalogue, groups)
    state = releases(school_class)
    by_slug = {lesson.slug: lesson for lesson in lessons}
    rows = []
    for p in pupils:
        mine = grid.progress.get(p.id, {})
        cells = []
        for lesson in lessons:
            row = mine.get(lesson.slug)
            right, tried = grid.scores.get((p.id, lesson.slug), (0, 0))
            cells.append(Cell("done" if row and row.completed_at else "started" if row
                              else "none", percent(lesson, row), right, tried))
        rows.append(PupilRow(p, cells, sum(c.status == "done" for c in cells),
                             stuck_reasons(grid.recent.get(p.id, []), mine, by_slug)))
    checks = baseline_answered(ids, {w.lesson.slug for w in work
                                     if w.lesson and w.assignment.kind == "baseline"})
    by_id = {p.id: p for p in pupils}
    work_rows = []
    for w in work:
        answered = baseline_for_lesson(checks, w.lesson.slug) if w.lesson else {}
        st = work_status(w, grid.progress, answered)
        work_rows.append(WorkRow(w, {k: [by_id[i] for i in v] for k, v in st.items()}))
    open_slugs = {lesson.slug for lesson in lessons
                  if open_by_default(lesson, school_class.year_group, state.get(lesson.slug))}
    return ClassPage(school_class, lessons, open_slugs, rows, work_rows, groups, state, pupils)


def class_csv_rows(page: ClassPage) -> tuple[list[str], list[list[object]]]:
    header = ["Pupil"]
    for lesson in page.lessons:
        header += [f"{lesson.title}: status", f"{lesson.title}: first-try score %"]
    header += ["Lessons finished", "First tries right", "First tries"]
    out = []
    for r in page.rows:
        line: list[object] = [r.pupil.short_name]
        for c in r.cells:
            line += [{"done": "finished", "started": "under way", "none": "not started"}[
                c.status], c.score]
        line += [r.completed, r.right, r.tried]
        out.append(line)
    return header, out


# --- one lesson across the class ---------------------------------------------------------

def lesson_page(lesson: Lesson, school_class: SchoolClass) -> LessonReport:
    pupils = class_roll(school_class)
    ev = load_evidence([p.id for p in pupils], [lesson.slug], with_answers=True)
    return lesson_report(lesson, pupils, ev)


def lesson_csv_rows(report: LessonReport) -> tuple[list[str], list[list[object]]]:
    lesson = report.lesson
    header = ["Pupil", "First tries right", "First tries", "First-try score %",
              "Baseline right", "Baseline answered"]
    for s in lesson.i_can:
        header += [f"{s.text}: derived level", f"{s.text}: misconception",
                   f"{s.text}: teacher's level", f"{s.text}: teacher's note"]
    out = []
    for p in report.pupils:
        right, tried = report.scores[p.id]
        b_right, b_tried = report.baseline[p.id]
        line: list[object] = [p.short_name, right, tried, percent_of(right, tried),
                      b_right if b_tried else None, b_tried]
        for lv in report.levels[p.id]:
            line += _level_cells(lesson, lv)
        out.append(line)
    return header, out


def _level_cells(lesson: Lesson, lv: StatementLevel) -> list[object]:
    d = lv.derived
    return [d.label, lesson.misconception_text(d.misconception) if d.misconception else "",
            LEVELS[lv.override.level] if lv.override else "",
            lv.override.note if lv.override else ""]


# --- one pupil ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PupilLesson:
    lesson: Lesson
    cell: Cell
    levels: list[StatementLevel]
    baseline: tuple[int, int]
    history: dict[str, list[Any]]
    completed_at: object


def pupil_page(catalogue: Catalogue, pupil: Pupil) -> list[PupilLesson]:
    ev = load_evidence([pupil.id])
    out = []
    for lesson in catalogue.by_band[pupil.band]:
        base = valid_tries(lesson, ev.baseline_for(pupil.id, lesson.slug))
        row = ev.progress.get(pupil.id, {}).get(lesson.slug)
        out.append(PupilLesson(
            lesson, _cell(lesson, pupil, ev), statement_levels(lesson, pupil.id, ev),
            (sum(t.correct for t in base), len(base)),
            {s.id: ev.history.get((pupil.id, lesson.slug, s.id), []) for s in lesson.i_can},
            row.completed_at if row else None))
    return out


def pupil_csv_rows(rows: list[PupilLesson]) -> tuple[list[str], list[list[object]]]:
    header = ["Lesson", "Status", "Finished on", "First tries right", "First tries",
              "First-try score %", "Baseline right", "Baseline answered", "I can statement",
              "Derived level", "Misconception", "Teacher's level", "Teacher's note"]
    out = []
    for r in rows:
        for lv in r.levels:
            out.append([r.lesson.title, {"done": "finished", "started": "under way",
                                         "none": "not started"}[r.cell.status],
                        r.completed_at, r.cell.right, r.cell.tried, r.cell.score,
                        r.baseline[0] if r.baseline[1] else None, r.baseline[1], lv.text,
                        *_level_cells(r.lesson, lv)])
    return header, out


# --- coverage across the school ----------------------------------------------------------

@dataclass(frozen=True)
class CoverageCell:
    lessons: int  # lessons of the strand for the class's key stage
    taught: int  # of them, finished by at least half the class
    secure: int  # statement judgements at secure
    judged: int  # statement judgements made

    @property
    def secure_percent(self) -> int | None:
        return percent_of(self.secure, self.judged)


@dataclass(frozen=True)
class CoverageRow:
    school_class: SchoolClass
    pupils: int
    cells: dict[str, CoverageCell]


def coverage_page(catalogue: Catalogue, classes: list[SchoolClass]) -> list[CoverageRow]:
    """Strand x class across the school in six queries: pupils, then their evidence."""
    if not classes:
        return []
    pupils = list(db.session.scalars(select(Pupil).where(
        Pupil.class_id.in_([c.id for c in classes]), Pupil.status == "active")))
    ev = load_evidence([p.id for p in pupils])
    by_class: dict[int, list[Pupil]] = {c.id: [] for c in classes}
    for p in pupils:
        by_class[p.class_id].append(p)
    out = []
    for c in classes:
        members = by_class[c.id]
        cells = {}
        for strand in STRANDS:
            lessons = [x for x in catalogue.by_band[c.band] if strand in x.strands]
            taught = secure = judged = 0
            for lesson in lessons:
                done = sum(1 for p in members
                           if (row := ev.progress.get(p.id, {}).get(lesson.slug))
                           and row.completed_at)
                if members and done * 2 >= len(members):
                    taught += 1
                for p in members:
                    for lv in statement_levels(lesson, p.id, ev):
                        if lv.level:
                            judged += 1
                            secure += lv.level == "secure"
            cells[strand] = CoverageCell(len(lessons), taught, secure, judged)
        out.append(CoverageRow(c, len(members), cells))
    return out


def coverage_csv_rows(rows: list[CoverageRow]) -> tuple[list[str], list[list[object]]]:
    header = ["Class", "Year", "Pupils", "Strand", "Lessons for the key stage",
              "Lessons taught", "Judgements secure", "Judgements made", "Secure %"]
    out = []
    for r in rows:
        for strand, cell in r.cells.items():
            out.append([r.school_class.name, r.school_class.year_group, r.pupils,
                        STRANDS[strand], cell.lessons, cell.taught, cell.secure, cell.judged,
                        cell.secure_percent])
    return header, out
