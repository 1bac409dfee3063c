"""A carer redeems a family link code: creating a family account, or adding a child to one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..auth.service import hash_password, password_problem
from ..db import db
from ..models import User
from . import join_bp, links
from .errors import Refused
from .forms import AddChildForm, JoinForm
from .staff import username_problem


def _client_key() -> str:
    return f"family-code:client:{request.remote_addr or 'unknown'}"


@join_bp.route("/", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    if current_user.is_authenticated:
        if current_user.kind != "parent":
            abort(403)
        return _add_child()
    form = JoinForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        candidate = User(kind="parent", username=username, display_name="")
        problems = {"username": username_problem(username),
                    "password": password_problem(candidate, form.password.data)}
        for name, problem in problems.items():
            if problem:
                getattr(form, name).errors = [problem]
        if not any(problems.values()):
            try:
                code = links.find_code(form.code.data, _client_key())
                parent = User(school_id=code.school_id, kind="parent", username=username,
                              display_name=form.display_name.data.strip(),
                              password_hash=hash_password(form.password.data))
                db.session.add(parent)
                db.session.flush()
                pupil = links.redeem(code, parent)
            except Refused as exc:
                db.session.rollback()
                form.code.errors = [exc.message]
            else:
                db.session.commit()
                from ..auth.views import _start_session

                _start_session(parent)
                flash(f"Your family account is ready and linked to {pupil.first_name}.",
                      "success")
                return redirect(url_for("family.home"))
    return render_template("admin/join.html", form=form, adding=False), \
        (400 if form.errors else 200)


def _add_child() -> ResponseReturnValue:
    form = AddChildForm()
    if form.validate_on_submit():
        try:
            code = links.find_code(form.code.data, f"family-code:user:{current_user.id}")
            pupil = links.redeem(code, current_user)
        except Refused as exc:
            db.session.rollback()
            form.code.errors = [exc.message]
        else:
            db.session.commit()
            flash(f"Linked. You can now see how {pupil.first_name} is getting on.", "success")
            return redirect(url_for("family.home"))
    return render_template("admin/join.html", form=form, adding=True), \
        (400 if form.errors else 200)
