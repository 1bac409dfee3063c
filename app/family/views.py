from __future__ import annotations

from flask import current_app, render_template

from ..permissions import require
from . import bp


@bp.route("/")
@require("family")
def home():
    """Practical guidance for home: every lesson's family tip, by age band."""
    catalogue = current_app.extensions["catalogue"]
    return render_template("family/home.html", by_band=catalogue.by_band)
