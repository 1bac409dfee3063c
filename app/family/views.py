from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from ..permissions import own_children, require
from . import bp
from .progress import child_progress


@bp.route("/")
@require("family")
def home():
    """Their own child's progress, then practical guidance for home by age band."""
    catalogue = current_app.extensions["catalogue"]
    children = [child_progress(catalogue, pupil) for pupil in own_children(current_user)]
    return render_template("family/home.html", children=children, by_band=catalogue.by_band)
