from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..admin.pupils import reset_sign_in
from ..auth.forms import EmptyForm
from ..auth.marks import marks_for
from ..content.model import Lesson
from ..db import db
from ..extensions import catalogue as loaded_catalogue
from ..models import SchoolClass
from ..permissions import class_pupil, managed_class_or_404, require, visible_classes
from . import bp
from .course import (
    course_plan,
    coverage,
    notes_questions,
    phases_of,
    topic_rows,
    years_label,
)
from .dashboard import class_panels, setup_tasks
from .letters import family_letter, letter_classes
from .pupils import picture_pupils

bp.add_app_template_filter(years_label, "years_label")


@bp.route("/")
@require("staff")
def home() -> ResponseReturnValue:
    classes = visible_classes(current_user)
    catalogue = loaded_catalogue()
    return render_template("teach/home.html", classes=classes, catalogue=catalogue,
                           panels=class_panels(classes, catalogue) if current_user.has_role(
                               "teacher") else [],
                           setup=setup_tasks(current_user.school_id) if current_user.has_role(
                               "school_admin") else [])


@bp.route("/course")
@require("teach")
def course() -> ResponseReturnValue:
    catalogue = loaded_catalogue()
    return render_template(
        "teach/course.html", plan=course_plan(catalogue), coverage=coverage(catalogue),
        topics=topic_rows(catalogue, current_app.extensions.get("topics", ())),
        lesson_count=len(catalogue))


@bp.route("/lessons/<slug>")
@require("teach")
def lesson_notes(slug: str) -> ResponseReturnValue:
    lesson = _lesson_or_404(slug)
    return render_template("teach/lesson_notes.html", lesson=lesson,
                           phases=phases_of(lesson), questions=notes_questions(lesson),
                           letter_classes=letter_classes(visible_classes(current_user), lesson))


@bp.route("/lessons/<slug>/letter")
@require("teach")
def family_letter_page(slug: str) -> ResponseReturnValue:
    """A printable letter home for one lesson, optionally from one of the teacher's classes."""
    lesson = _lesson_or_404(slug)
    school_class = None
    if request.args.get("class_id"):
        school_class = _class_or_404(request.args.get("class_id", type=int) or 0)
        if school_class.band != lesson.band:
            abort(404)
    letter = family_letter(lesson, current_user, school_class, date.today())
    return render_template("teach/letter.html", letter=letter)


def _lesson_or_404(slug: str) -> Lesson:
    lesson = loaded_catalogue().lesson(slug)
    if lesson is None:
        abort(404)
    return lesson


def _class_or_404(class_id: int) -> SchoolClass:
    return managed_class_or_404(current_user, class_id)


@bp.route("/classes/<int:class_id>/pictures")
@require("teach")
def picture_cards(class_id: int) -> ResponseReturnValue:
    """Each pupil's three sign-in pictures, to tell them or print as cards (KS1 classes)."""
    school_class = _class_or_404(class_id)
    pupils = picture_pupils(school_class)
    return render_template("teach/picture_cards.html", school_class=school_class,
                           pupils=pupils, form=EmptyForm(),
                           marks=marks_for([p for p, _ in pupils]))


@bp.route("/classes/<int:class_id>/pictures/<int:pupil_id>", methods=["POST"])
@require("teach")
def new_picture_code(class_id: int, pupil_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    pupil = class_pupil(school_class, pupil_id)
    if pupil is None or not EmptyForm().validate_on_submit():
        abort(404)
    # New details for the pupil's band (pictures in KS1), unpaused and audited.
    credentials = reset_sign_in(pupil, current_user)
    db.session.commit()
    what = "sign-in pictures" if credentials.pictures else "password (print the new card)"
    flash(f"{pupil.short_name} has new {what}. The old ones no longer work.", "success")
    return redirect(url_for("teach.picture_cards", class_id=school_class.id))
