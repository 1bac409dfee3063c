"""Set work, groups, lesson release, assessment reports and their CSV downloads."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth.forms import EmptyForm
from ..content.model import STRANDS, Catalogue, Lesson
from ..db import db
from ..extensions import catalogue
from ..models import LEVELS, LevelOverride, Pupil, SchoolClass
from ..permissions import (
    class_pupil,
    coverage_classes,
    managed_class_or_404,
    managed_group_or_404,
    managed_work_or_404,
    may_see_coverage,
    require,
    visible_pupils,
)
from . import bp
from .assignments import (
    WorkError,
    change_group,
    change_work,
    class_groups,
    create_group,
    releases,
    remove_group,
    remove_work,
    set_release,
    set_work,
)
from .csvout import csv_response
from .dates import school_today
from .forms import GroupForm, OverrideForm, ReleaseForm, SetWorkForm, WorkDatesForm
from .reports import (
    class_csv_rows,
    class_page,
    coverage_csv_rows,
    coverage_page,
    lesson_csv_rows,
    lesson_page,
    pupil_csv_rows,
    pupil_page,
)


def _catalogue() -> Catalogue:
    return catalogue()


def _class_or_404(class_id: int) -> SchoolClass:
    return managed_class_or_404(current_user, class_id)


def _class_lesson_or_404(school_class: SchoolClass, slug: str) -> Lesson:
    lesson = _catalogue().lesson(slug)
    if lesson is None or lesson.band != school_class.band:
        abort(404)
    return lesson


@bp.route("/classes/<int:class_id>")
@require("teach")
def class_progress(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    page = class_page(_catalogue(), school_class)
    return render_template("teach/class.html", school_class=school_class, page=page,
                           today=school_today())


@bp.route("/classes/<int:class_id>/progress.csv")
@require("teach")
def class_csv(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    header, rows = class_csv_rows(class_page(_catalogue(), school_class))
    return csv_response(f"{school_class.name}-progress-{school_today().isoformat()}.csv",
                        header, rows)


# --- set work ----------------------------------------------------------------------------

def _work_form(school_class: SchoolClass) -> tuple[SetWorkForm, list[Lesson], list[Pupil]]:
    form = SetWorkForm()
    lessons = list(_catalogue().by_band[school_class.band])
    pupils = visible_pupils(current_user, school_class)
    groups = class_groups(school_class)
    form.lessons.choices = [SelectChoice(x.slug, x.title) for x in lessons]
    form.pupils.choices = [SelectChoice(str(p.id), p.short_name) for p in pupils]
    form.group.choices = [SelectChoice("", "Choose a group…")] + [
        SelectChoice(str(g.id), f"{g.name} ({len(m)} pupil{'s' if len(m) != 1 else ''})")
        for g, m in groups]
    if request.method == "GET" and request.args.get("lesson"):
        form.lessons.data = [request.args["lesson"]]
    return form, lessons, pupils


@bp.route("/classes/<int:class_id>/set-work", methods=["GET", "POST"])
@require("teach")
def set_work_page(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    form, lessons, pupils = _work_form(school_class)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                made = set_work(
                    school_class, current_user, _catalogue(), lessons=form.lessons.data or [],
                    kind=form.kind.data if form.kind.data in ("lesson", "baseline") else "",
                    target=form.target.data or "",
                    group_id=int(form.group.data) if (form.group.data or "").isdigit() else None,
                    pupil_ids=[int(x) for x in form.pupils.data or [] if x.isdigit()],
                    starts_on=form.starts_on.data, due_on=form.due_on.data,
                    note=form.note.data or "")
            except WorkError as exc:
                getattr(form, exc.field).errors = [exc.message]
            else:
                db.session.commit()
                n = len(made)
                flash(f"Set {n} lesson{'s' if n != 1 else ''} to {school_class.name}"
                      f"{'' if form.target.data == 'class' else ' (' + form.target.data + ')'}."
                      " Pupils see it first on their home page.", "success")
                return redirect(url_for("teach.class_progress", class_id=school_class.id))
        status = 400
    open_state = releases(school_class)
    return render_template("teach/set_work.html", school_class=school_class, form=form,
                           lessons=lessons, pupils=pupils, held=open_state), status


@bp.route("/classes/<int:class_id>/work/<int:assignment_id>")
@require("teach")
def work_detail(class_id: int, assignment_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    assignment = managed_work_or_404(current_user, school_class, assignment_id)
    page = class_page(_catalogue(), school_class)
    row = next(w for w in page.work if w.work.assignment.id == assignment.id)
    return render_template("teach/work.html", school_class=school_class, row=row,
                           form=EmptyForm())


@bp.route("/classes/<int:class_id>/work/<int:assignment_id>/edit", methods=["GET", "POST"])
@require("teach")
def work_edit(class_id: int, assignment_id: int) -> ResponseReturnValue:
    """New dates or a new note for set work (the lesson and who it is for stay)."""
    school_class = _class_or_404(class_id)
    assignment = managed_work_or_404(current_user, school_class, assignment_id)
    form = WorkDatesForm(obj=assignment)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                change_work(assignment, starts_on=form.starts_on.data, due_on=form.due_on.data,
                            note=form.note.data or "")
            except WorkError as exc:
                getattr(form, exc.field).errors = [exc.message]
            else:
                db.session.commit()
                flash("Dates and note changed. Pupils and families see the new ones.",
                      "success")
                return redirect(url_for("teach.work_detail", class_id=school_class.id,
                                        assignment_id=assignment.id))
        db.session.rollback()
        status = 400
    lesson = _catalogue().lesson(assignment.lesson_slug)
    return render_template("teach/work_edit.html", school_class=school_class, form=form,
                           assignment=assignment, lesson=lesson), status


@bp.route("/classes/<int:class_id>/work/<int:assignment_id>/remove", methods=["POST"])
@require("teach")
def work_remove(class_id: int, assignment_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    assignment = managed_work_or_404(current_user, school_class, assignment_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    remove_work(assignment)
    db.session.commit()
    flash("That work is no longer set. Pupils keep what they have done.", "success")
    return redirect(url_for("teach.class_progress", class_id=school_class.id))


@bp.route("/classes/<int:class_id>/groups", methods=["GET", "POST"])
@require("teach")
def groups(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    form = GroupForm()
    pupils = visible_pupils(current_user, school_class)
    form.pupils.choices = [SelectChoice(str(p.id), p.short_name) for p in pupils]
    if request.method == "GET":
        form.name.data = request.args.get("name", "")[:60]
        form.pupils.data = [x for x in request.args.get("pupils", "").split(",") if x]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                group = create_group(school_class, current_user, form.name.data or "",
                                     [int(x) for x in form.pupils.data or [] if x.isdigit()])
            except WorkError as exc:
                getattr(form, exc.field).errors = [exc.message]
            else:
                db.session.commit()
                flash(f"Group \u201c{group.name}\u201d made. You can set work to it.", "success")
                return redirect(url_for("teach.groups", class_id=school_class.id))
        status = 400
    by_id = {p.id: p for p in pupils}
    existing = [(g, [by_id[i] for i in m if i in by_id]) for g, m in class_groups(school_class)]
    return render_template("teach/groups.html", school_class=school_class, form=form,
                           groups=existing), status


@bp.route("/classes/<int:class_id>/groups/<int:group_id>", methods=["GET", "POST"])
@require("teach")
def group_edit(class_id: int, group_id: int) -> ResponseReturnValue:
    """Rename a group or choose its pupils again."""
    school_class = _class_or_404(class_id)
    group = managed_group_or_404(current_user, school_class, group_id)
    form = GroupForm()
    pupils = visible_pupils(current_user, school_class)
    form.pupils.choices = [SelectChoice(str(p.id), p.short_name) for p in pupils]
    if request.method == "GET":
        form.name.data = group.name
        form.pupils.data = [str(pid) for g, m in class_groups(school_class) if g.id == group.id
                            for pid in m]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                change_group(school_class, group, form.name.data or "",
                             [int(x) for x in form.pupils.data or [] if x.isdigit()])
            except WorkError as exc:
                getattr(form, exc.field).errors = [exc.message]
            else:
                db.session.commit()
                flash(f"Group \u201c{group.name}\u201d changed. Work set to it follows its "
                      "pupils.", "success")
                return redirect(url_for("teach.groups", class_id=school_class.id))
        db.session.rollback()
        status = 400
    return render_template("teach/group_edit.html", school_class=school_class, form=form,
                           group=group, remove_form=EmptyForm()), status


@bp.route("/classes/<int:class_id>/groups/<int:group_id>/remove", methods=["POST"])
@require("teach")
def group_remove(class_id: int, group_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    group = managed_group_or_404(current_user, school_class, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = group.name
    n = remove_group(group)
    db.session.commit()
    flash(f"Group \u201c{name}\u201d removed" + (
        f", and the {n} piece{'s' if n != 1 else ''} of work set to it. " if n else ". ")
        + "Pupils keep what they have done.", "success")
    return redirect(url_for("teach.groups", class_id=school_class.id))


# --- lessons open to the class ------------------------------------------------------------

@bp.route("/classes/<int:class_id>/lessons")
@require("teach")
def class_lessons(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    state = releases(school_class)
    return render_template("teach/class_lessons.html", school_class=school_class,
                           lessons=_catalogue().by_band[school_class.band], state=state,
                           form=ReleaseForm())


@bp.route("/classes/<int:class_id>/lessons/<slug>/release", methods=["POST"])
@require("teach")
def release(class_id: int, slug: str) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    lesson = _class_lesson_or_404(school_class, slug)
    form = ReleaseForm()
    if not form.validate_on_submit() or form.state.data not in ("default", "released",
                                                                  "held"):
        flash("Choose whether to release the lesson, hold it back or follow the year rule.",
              "error")
        return redirect(url_for("teach.class_lessons", class_id=school_class.id))
    state = None if form.state.data == "default" else form.state.data
    set_release(school_class, current_user, lesson, state)
    db.session.commit()
    words = {"released": "is released to", "held": "is held back from",
             None: "follows the year rule for"}[state]
    flash(f"\u201c{lesson.title}\u201d {words} {school_class.name}.", "success")
    return redirect(url_for("teach.class_lessons", class_id=school_class.id))


# --- assessment --------------------------------------------------------------------------

@bp.route("/classes/<int:class_id>/lessons/<slug>/assess")
@require("teach")
def lesson_assessment(class_id: int, slug: str) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    lesson = _class_lesson_or_404(school_class, slug)
    report = lesson_page(lesson, school_class)
    return render_template("teach/assess.html", school_class=school_class, report=report,
                           lesson=lesson, levels=LEVELS)


@bp.route("/classes/<int:class_id>/lessons/<slug>/assess.csv")
@require("teach")
def lesson_assessment_csv(class_id: int, slug: str) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    lesson = _class_lesson_or_404(school_class, slug)
    header, rows = lesson_csv_rows(lesson_page(lesson, school_class))
    return csv_response(f"{school_class.name}-{lesson.slug}-{school_today().isoformat()}.csv",
                        header, rows)


def _pupil_or_404(school_class: SchoolClass, pupil_id: int) -> Pupil:
    pupil = class_pupil(school_class, pupil_id)
    if pupil is None:
        abort(404)
    return pupil


def _override_form(pupil: Pupil) -> OverrideForm:
    form = OverrideForm()
    form.statement.choices = [SelectChoice("", "Choose a statement…")] + [
        SelectChoice(f"{x.slug}:{s.id}", f"{x.title}: {s.text}")
        for x in _catalogue().by_band[pupil.band] for s in x.i_can]
    return form


@bp.route("/classes/<int:class_id>/pupils/<int:pupil_id>", methods=["GET", "POST"])
@require("teach")
def pupil_report(class_id: int, pupil_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    pupil = _pupil_or_404(school_class, pupil_id)
    form = _override_form(pupil)
    status = 200
    if request.method == "GET" and request.args.get("statement"):
        form.statement.data = request.args["statement"]
    if request.method == "POST":
        if form.validate_on_submit():
            statement = next((c for c in form.statement.choices
                              if c.value == form.statement.data), None)
            if not form.statement.data or statement is None:
                form.statement.errors = ["Choose the \u201cI can\u201d statement to judge."]
            elif form.level.data not in LEVELS:
                form.level.errors = ["Choose a level for your judgement (secure, developing, "
                                     "emerging or shows a misconception)."]
            else:
                slug, _, sid = form.statement.data.partition(":")
                db.session.add(LevelOverride(
                    school_id=pupil.school_id, pupil_id=pupil.id, lesson_slug=slug,
                    statement_id=sid, level=form.level.data,
                    note=(form.note.data or "").strip(), set_by_id=current_user.id))
                db.session.commit()
                flash(f"Your judgement for {pupil.short_name} is saved: "
                      f"{LEVELS[form.level.data]}.", "success")
                return redirect(url_for("teach.pupil_report", class_id=school_class.id,
                                        pupil_id=pupil.id) + f"#lesson-{slug}")
        status = 400
    rows = pupil_page(_catalogue(), pupil)
    return render_template("teach/pupil.html", school_class=school_class, pupil=pupil,
                           rows=rows, form=form, levels=LEVELS, today=school_today()), status


@bp.route("/classes/<int:class_id>/pupils/<int:pupil_id>/report.csv")
@require("teach")
def pupil_report_csv(class_id: int, pupil_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    pupil = _pupil_or_404(school_class, pupil_id)
    header, rows = pupil_csv_rows(pupil_page(_catalogue(), pupil))
    return csv_response(f"{pupil.short_name}-{school_today().isoformat()}.csv", header, rows)


# --- coverage ----------------------------------------------------------------------------

@bp.route("/coverage")
@require("teach")
def school_coverage() -> ResponseReturnValue:
    if not may_see_coverage(current_user):
        abort(403)
    rows = coverage_page(_catalogue(), coverage_classes(current_user))
    return render_template("teach/coverage.html", rows=rows, strands=STRANDS,
                           today=school_today())


@bp.route("/coverage.csv")
@require("teach")
def school_coverage_csv() -> ResponseReturnValue:
    if not may_see_coverage(current_user):
        abort(403)
    header, rows = coverage_csv_rows(coverage_page(_catalogue(), coverage_classes(current_user)))
    return csv_response(f"coverage-{school_today().isoformat()}.csv", header, rows)
