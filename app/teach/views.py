from __future__ import annotations

from flask import abort, current_app, render_template
from flask_login import current_user

from ..db import db
from ..models import SchoolClass
from ..permissions import may_manage_class, require, visible_classes
from . import bp
from .course import (
    course_plan,
    coverage,
    notes_questions,
    phases_of,
    topic_rows,
    years_label,
)
from .reports import class_grid

bp.add_app_template_filter(years_label, "years_label")


@bp.route("/")
@require("staff")
def home():
    return render_template("teach/home.html", classes=visible_classes(current_user),
                           catalogue=current_app.extensions["catalogue"])


@bp.route("/classes/<int:class_id>")
@require("teach")
def class_progress(class_id: int):
    school_class = db.session.get(SchoolClass, class_id)
    if not may_manage_class(current_user, school_class):
        abort(404)
    lessons, rows = class_grid(current_app.extensions["catalogue"], school_class)
    return render_template("teach/class.html", school_class=school_class, lessons=lessons,
                           rows=rows)


@bp.route("/course")
@require("teach")
def course():
    catalogue = current_app.extensions["catalogue"]
    return render_template(
        "teach/course.html", plan=course_plan(catalogue), coverage=coverage(catalogue),
        topics=topic_rows(catalogue, current_app.extensions.get("topics", ())),
        lesson_count=len(catalogue))


@bp.route("/lessons/<slug>")
@require("teach")
def lesson_notes(slug: str):
    lesson = current_app.extensions["catalogue"].lesson(slug)
    if lesson is None:
        abort(404)
    return render_template("teach/lesson_notes.html", lesson=lesson,
                           phases=phases_of(lesson), questions=notes_questions(lesson))
