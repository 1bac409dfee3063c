from __future__ import annotations

from flask import abort, current_app, render_template
from flask_login import current_user

from ..db import db
from ..models import SchoolClass
from ..permissions import may_manage_class, require, visible_classes
from . import bp
from .reports import class_grid


@bp.route("/")
@require("staff")
def home():
    return render_template("teach/home.html", classes=visible_classes(current_user))


@bp.route("/classes/<int:class_id>")
@require("teach")
def class_progress(class_id: int):
    school_class = db.session.get(SchoolClass, class_id)
    if not may_manage_class(current_user, school_class):
        abort(404)
    lessons, rows = class_grid(current_app.extensions["catalogue"], school_class)
    return render_template("teach/class.html", school_class=school_class, lessons=lessons,
                           rows=rows)
