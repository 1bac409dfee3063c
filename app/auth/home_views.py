"""Home cards: staff print them (and see which are in use); a family's device takes one."""

from __future__ import annotations

import segno
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ..admin.errors import Refused
from ..db import db
from ..models import Pupil
from ..permissions import managed_class_or_404, may_manage_pupil, require
from . import bp, homecards
from .forms import EmptyForm, HomeCodeForm
from .marks import marks_for


def qr_svg(url: str) -> str:
    """The card's QR code as inline SVG, drawn here: nothing is fetched from anywhere."""
    return str(segno.make(url, error="m").svg_inline(
        scale=3, title="QR code: scan to turn on picture sign-in", dark="#000", light="#fff"))


def _pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not may_manage_pupil(current_user, pupil) or pupil.status != "active" \
            or pupil.band != "ks1":
        abort(404)
    return pupil


@bp.route("/home-cards/classes/<int:class_id>")
@require("teach")
def home_cards(class_id: int) -> str:
    """Which pupils have a working home card, on how many devices, last used when."""
    school_class = managed_class_or_404(current_user, class_id)
    if school_class.band != "ks1":
        abort(404)
    return render_template("auth/home_cards.html", school_class=school_class,
                           rows=homecards.class_cards(school_class), form=EmptyForm())


def _print(cards: list[homecards.IssuedCard], back: str) -> str:
    marks = marks_for([c.pupil for c in cards])
    return render_template("auth/home_card_print.html", back=back, marks=marks,
                           cards=[(c, qr_svg(c.url)) for c in cards])


@bp.route("/home-cards/classes/<int:class_id>", methods=["POST"])
@require("teach")
def home_cards_print(class_id: int) -> str:
    """New cards for the whole class, printed now (the codes are shown only this once)."""
    school_class = managed_class_or_404(current_user, class_id)
    if school_class.band != "ks1" or not EmptyForm().validate_on_submit():
        abort(404)
    cards = homecards.issue_for_class(school_class, current_user)
    db.session.commit()
    return _print(cards, url_for("auth.home_cards", class_id=school_class.id))


@bp.route("/home-cards/pupils/<int:pupil_id>", methods=["POST"])
@require("teach")
def home_card_print(pupil_id: int) -> str:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    card = homecards.issue(pupil, current_user)
    db.session.commit()
    return _print([card], url_for("auth.home_cards", class_id=pupil.class_id))


@bp.route("/home-cards/pupils/<int:pupil_id>/withdraw", methods=["POST"])
@require("teach")
def home_card_withdraw(pupil_id: int) -> Response:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = homecards.revoke(pupil, current_user)
    db.session.commit()
    flash(f"{pupil.short_name}'s home card no longer works on any device." if count else
          f"{pupil.short_name} had no working home card.", "success")
    return redirect(url_for("auth.home_cards", class_id=pupil.class_id))


# --- the family's device ------------------------------------------------------------------


@bp.route("/home", methods=["GET", "POST"])
@bp.route("/home/<code>", methods=["GET"])
def home_code(code: str | None = None) -> Response | tuple[str, int]:
    """Type (or scan) a home card's code once: this device then offers that child's pictures.

    Opening the QR code's address only fills the code in; nothing is turned on until the
    button is pressed (a link preview or a passer-by's scan changes nothing)."""
    form = HomeCodeForm()
    if request.method == "GET" and code:
        form.code.data = homecards.normalise(code)[:homecards.CODE_LENGTH]
    error = None
    if form.validate_on_submit():
        token = request.cookies.get(homecards.HOME_COOKIE)
        try:
            card = homecards.find(form.code.data, f"home:client:{request.remote_addr}"[:120])
        except Refused as refused:
            error = refused.message
        else:
            value = homecards.enable(card, token)
            pupil = db.session.get(Pupil, card.pupil_id)
            db.session.commit()
            return _turned_on(value, pupil.first_name if pupil else "your child")
    on_here = homecards.home_pupils(request.cookies.get(homecards.HOME_COOKIE))
    return render_template("auth/home_code.html", form=form, error=error,
                           on_here=[p for _, p in on_here]), \
        (400 if error or form.errors else 200)


def _turned_on(value: str, name: str) -> Response:
    response = make_response(redirect(url_for("auth.picture_names")))
    cards = homecards.home_pupils(value)
    response.set_cookie(homecards.HOME_COOKIE, value,
                        max_age=homecards.cookie_days(cards) * 86400 if cards else None,
                        httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    flash(f"Picture sign-in is on for {name} on this device.", "success")
    return response
