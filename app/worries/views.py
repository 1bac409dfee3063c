from __future__ import annotations

import time

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from ..auth import twostep
from ..auth.forms import EmptyForm
from ..db import db, utcnow
from ..models import (
    ABOUT,
    ACTIONS,
    FEELINGS,
    LEAD_ROLES,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
    AuditEvent,
    Pupil,
    Worry,
)
from ..permissions import may_read_worry, require
from ..schooltime import from_school_clock
from . import bp, service
from .forms import ConcernForm

LABELS = {"kinds": WORRY_KINDS, "feelings": FEELINGS, "about": ABOUT, "urgencies": URGENCIES,
          "statuses": STATUSES, "actions": ACTIONS}


@bp.app_context_processor
def _badge():
    """The unread count for leads on every staff page; nothing at all for anyone else."""
    if current_user.is_authenticated and current_user.has_role(*LEAD_ROLES):
        return {"unread_worries": service.unread_count(current_user.school_id)}
    return {}


# --- the pupil's side -----------------------------------------------------------------------


@bp.route("/worry/", methods=["GET", "POST"])
@require("learn")
def report():
    """Three steps: what kind; who and how I feel (and words); talk to a grown-up today?"""
    data = request.form if request.method == "POST" else {}
    step = request.form.get("step", "1") if request.method == "POST" else "1"
    place = service.safe_place(request.values.get("from"))
    values = {"token": data.get("token") or service.new_token(), "kind": data.get("kind", ""),
              "about": data.get("about", ""), "feeling": data.get("feeling", ""),
              "words": data.get("words", ""), "from": place or "",
              "started": data.get("started") or str(int(time.time()))}
    errors: dict[str, str] = {}
    if request.method == "POST" and _hidden_since(values["started"]):
        # quick-hide was pressed after this worry was begun: nothing of it comes back
        values = {"token": service.new_token(), "kind": "", "about": "", "feeling": "",
                  "words": "", "from": place or "", "started": str(int(time.time()))}
        return render_template("worries/report.html", step=1, values=values, errors={},
                               labels=LABELS, form=EmptyForm())
    if request.method == "POST":
        # CSRFProtect has already refused a post without a valid token (400): no second check
        # here, so the one write a burst of pupils makes at once costs as little as it can.
        try:
            clean = service.clean_pupil_worry({**data, "talk": data.get("talk") or None})
        except service.WorryInputError as exc:
            errors = exc.errors
            step = "1" if "kind" in errors or "token" in errors else "2"
            if "token" in errors:
                values["token"] = service.new_token()
        else:
            if step == "3" and data.get("talk") in ("yes", "no"):
                return _send(clean, place)
            step = {"1": "2", "2": "3"}.get(step, "3")
    return render_template("worries/report.html", step=int(step), values=values, errors=errors,
                           labels=LABELS, form=EmptyForm()), (400 if errors else 200)


def _send(clean: dict, place: str | None):
    try:
        worry = service.submit_pupil_worry(current_user, clean, place)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("a worry could not be saved")
        return render_template("worries/not_sent.html"), 503
    # email: the sender process
    return redirect(url_for("worries.sent", ref=service.worry_reference(worry.id)))


@bp.route("/worry/sent/<ref>")
@require("learn")
def sent(ref: str):
    """The confirmation, addressed by the pupil's reference (never the sequential id)."""
    mine = db.session.scalars(select(Worry).where(Worry.raised_by_id == current_user.id)
                              .order_by(Worry.id.desc()).limit(200))
    worry = next((w for w in mine if service.worry_reference(w.id) == ref), None)
    if worry is None:
        abort(404)
    return render_template("worries/sent.html", worry=worry, labels=LABELS,
                           reference=service.worry_reference(worry.id),
                           lead=service.lead_names(current_user.school_id))


@bp.route("/worry/mine")
@require("learn")
def mine():
    worries = db.session.scalars(select(Worry).where(Worry.raised_by_id == current_user.id)
                                 .order_by(Worry.created_at.desc()))
    rows = [(w, service.state_of(w).is_read) for w in worries]
    return render_template("worries/mine.html", rows=rows, labels=LABELS,
                           reference=service.worry_reference)


def _hidden_since(started: str) -> bool:
    hidden_at = session.get("hidden_at")
    return isinstance(hidden_at, int) and started.isdigit() and int(started) <= hidden_at


@bp.route("/hide")
def hide():
    """A neutral page that the quick-hide button swaps in at once. It also ends any worry in
    progress: a form begun before this moment, sent again from the history, starts afresh."""
    session["hidden_at"] = int(time.time())
    return render_template("worries/hide.html")


# --- any member of staff: record a concern --------------------------------------------------


def _pupil_choices() -> list[SelectChoice]:
    pupils = db.session.scalars(select(Pupil).where(
        Pupil.school_id == current_user.school_id, Pupil.status == "active")
        .order_by(Pupil.first_name, Pupil.surname_initial))
    return [SelectChoice(p.id, f"{p.short_name} ({p.school_class.name})") for p in pupils]


@bp.route("/safeguarding/concern", methods=["GET", "POST"])
@require("staff")
def concern():
    form = ConcernForm()
    form.pupil.choices = [SelectChoice(0, "Choose a pupil…"), *_pupil_choices()]
    if request.method == "GET":
        form.token.data = service.new_token()
        if request.args.get("pupil", "").isdigit():
            form.pupil.data = int(request.args["pupil"])
    if form.validate_on_submit():
        pupil = db.session.get(Pupil, form.pupil.data)
        token = form.token.data if len(form.token.data or "") == 32 else service.new_token()
        if pupil is None or pupil.school_id != current_user.school_id:
            form.pupil.errors = ["Choose the pupil this concern is about."]
        else:
            occurred = form.occurred_at.data
            # typed on the school's clock (BST in summer), stored in UTC
            occurred = from_school_clock(occurred) if occurred else None
            problem = service.event_date_problem(pupil, occurred)
            if problem:
                form.occurred_at.errors = [problem]
            else:
                try:
                    service.record_concern(current_user, pupil, form.kind.data,
                                           form.words.data.strip(),
                                           (form.child_words.data or "").strip(), occurred,
                                           token)
                except SQLAlchemyError:
                    db.session.rollback()
                    current_app.logger.exception("a concern could not be saved")
                    return render_template("worries/concern_not_saved.html", form=form), 503
                flash("Your concern has been recorded and sent to the safeguarding lead.",
                      "success")
                return redirect(url_for("worries.my_concerns"))
    elif request.method == "POST" and form.pupil.data == 0:
        form.pupil.errors = ["Choose the pupil this concern is about."]
    return render_template("worries/concern.html", form=form), (
        400 if request.method == "POST" else 200)


@bp.route("/safeguarding/concerns/mine")
@require("staff")
def my_concerns():
    worries = list(db.session.scalars(select(Worry).where(
        Worry.raised_by_id == current_user.id).order_by(Worry.created_at.desc())))
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(
        Pupil.id.in_([w.about_pupil_id for w in worries if w.about_pupil_id])))}
    return render_template("worries/my_concerns.html", worries=worries, pupils=pupils,
                           labels=LABELS)


# --- the safeguarding lead ------------------------------------------------------------------


def _worry_or_404(worry_id: int) -> Worry:
    worry = db.session.get(Worry, worry_id)
    if not may_read_worry(current_user, worry):
        abort(404)
    return worry


def _pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.school_id != current_user.school_id:
        abort(404)
    return pupil


@bp.route("/safeguarding/")
@require("safeguarding")
def inbox():
    status = request.args.get("status")
    status = status if status in STATUSES else None
    rows = service.inbox(current_user.school_id, status)
    service.audit(current_user, "view", "inbox", f"listed {len(rows)} worries")
    db.session.commit()
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(
        Pupil.school_id == current_user.school_id))}
    return render_template("worries/inbox.html", rows=rows, pupils=pupils, labels=LABELS,
                           status=status)


@bp.route("/safeguarding/worries/<int:worry_id>", methods=["GET", "POST"])
@require("safeguarding")
def worry(worry_id: int):
    worry = _worry_or_404(worry_id)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            service.add_entry(worry, current_user, request.form)
        except service.WorryInputError as exc:
            db.session.rollback()
            errors, values = exc.errors, dict(request.form)
        else:
            flash("Saved to the record.", "success")
            return redirect(url_for("worries.worry", worry_id=worry.id))
    service.mark_read(worry, current_user)
    service.audit(current_user, "view", f"worry {worry.id}")
    db.session.commit()
    db.session.refresh(worry)
    pupil = db.session.get(Pupil, worry.about_pupil_id) if worry.about_pupil_id else None
    reporter = db.session.scalar(select(Pupil).where(Pupil.user_id == worry.raised_by_id))
    return render_template(
        "worries/worry.html", worry=worry, state=service.state_of(worry), pupil=pupil,
        reporter=reporter, names=service.display_names(current_user.school_id), labels=LABELS,
        errors=errors, values=values, form=EmptyForm()), (400 if errors else 200)


@bp.route("/safeguarding/pupils/<int:pupil_id>")
@require("safeguarding")
def chronology(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    items = service.chronology(pupil)
    service.audit(current_user, "view", f"pupil {pupil.id} chronology")
    db.session.commit()
    return render_template("worries/chronology.html", pupil=pupil, items=items, labels=LABELS,
                           names=service.display_names(current_user.school_id),
                           printable=False)


@bp.route("/safeguarding/pupils/<int:pupil_id>/file")
@require("safeguarding")
def export_page(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    if twostep.reauth_needed():  # a fresh sign-in, or the password (and code) again
        return redirect(url_for("auth.reauth", next=request.path))
    items = service.chronology(pupil)
    service.audit(current_user, "export", f"pupil {pupil.id} file", "printable page")
    db.session.commit()
    return render_template("worries/chronology.html", pupil=pupil, items=items, labels=LABELS,
                           names=service.display_names(current_user.school_id), printable=True,
                           exported_at=utcnow())


@bp.route("/safeguarding/pupils/<int:pupil_id>/file.csv")
@require("safeguarding")
def export_csv(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    if twostep.reauth_needed():  # a fresh sign-in, or the password (and code) again
        return redirect(url_for("auth.reauth", next=request.path))
    body = service.export_csv(pupil, service.display_names(current_user.school_id))
    service.audit(current_user, "export", f"pupil {pupil.id} file", "CSV")
    db.session.commit()
    name = f"safeguarding-file-{pupil.first_name}-{pupil.surname_initial}-{pupil.id}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/safeguarding/audit")
@require("safeguarding")
def audit_log():
    page = max(1, request.args.get("page", 1, type=int))
    per_page = 100
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.school_id == current_user.school_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    service.audit(current_user, "view", "audit log", f"page {page}")
    db.session.commit()
    return render_template("worries/audit.html", events=events[:per_page], page=page,
                           more=len(events) > per_page,
                           names=service.display_names(current_user.school_id))


@bp.route("/safeguarding/retention")
@require("safeguarding")
def retention():
    rows = service.retention_report(current_user.school_id, utcnow().date())
    service.audit(current_user, "view", "retention report", f"{len(rows)} pupils listed")
    db.session.commit()
    return render_template("worries/retention.html", rows=rows,
                           age=current_app.config["SAFEGUARDING_RETENTION_AGE"])
