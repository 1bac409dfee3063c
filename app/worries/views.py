from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

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
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from ..auth import twostep
from ..auth.forms import EmptyForm
from ..db import db, utcnow
from ..models import (
    ABOUT,
    ACTIONS,
    CHILD_STATUSES,
    FEELINGS,
    HANDOVER_METHODS,
    LEAD_ROLES,
    REFERRER_STATUSES,
    REPLIES,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
    Pupil,
    TransferRecord,
    Worry,
)
from ..permissions import may_read_worry, require
from ..schooltime import from_school_clock
from ..schooltime import today as school_today
from . import bp, desk, reports, service, transfer, triage
from .forms import (
    ENTRY_FORMS,
    ActionForm,
    AwayForm,
    ConcernForm,
    CorrectionForm,
    DoneForm,
    EntryForm,
    HandoverForm,
    InboxFilterForm,
    LinkForm,
    PupilWorryForm,
    ReceiptForm,
    TransferForm,
    choices,
)
from .service import entry_label

LABELS = {"kinds": WORRY_KINDS, "feelings": FEELINGS, "about": ABOUT, "urgencies": URGENCIES,
          "statuses": STATUSES, "actions": ACTIONS, "replies": REPLIES,
          "referrer": REFERRER_STATUSES, "child": CHILD_STATUSES}


@bp.app_context_processor
def _badge() -> dict[str, int]:
    """The unread count for leads on every staff page; nothing at all for anyone else."""
    if current_user.is_authenticated and current_user.has_role(*LEAD_ROLES):
        return {"unread_worries": service.unread_count(current_user.school_id)}
    return {}


# --- the pupil's side -----------------------------------------------------------------------


@bp.route("/worry/", methods=["GET", "POST"])
@require("learn")
def report() -> ResponseReturnValue:
    """Three steps: what kind; who and how I feel (and words); talk to a grown-up today?"""
    place = service.safe_place(request.values.get("from"))
    form = PupilWorryForm()
    if request.method == "GET" or _hidden_since(form.started.data or ""):
        # (quick-hide pressed after this worry was begun: nothing of it comes back)
        return _report_page(_fresh_worry_form(place), 1)
    form.place.data = place or ""
    form.started.data = form.started.data or str(int(time.time()))
    if not form.validate():
        if form.token.errors:
            form.token.data = service.new_token()
        return _report_page(form, 1 if form.kind.errors or form.token.errors else 2, 400)
    if form.step.data == "3" and form.talk.data in ("yes", "no"):
        return _send(form, place)
    return _report_page(form, {"1": 2, "2": 3}.get(form.step.data or "", 3))


def _fresh_worry_form(place: str | None) -> PupilWorryForm:
    form = PupilWorryForm(formdata=None)
    form.token.data, form.started.data = service.new_token(), str(int(time.time()))
    form.place.data = place or ""
    return form


def _report_page(form: PupilWorryForm, step: int, status: int = 200) -> ResponseReturnValue:
    values = {name: form[name].data or "" for name in
              ("token", "kind", "about", "feeling", "words", "started")}
    values["from"] = form.place.data or ""
    errors = {name: field.errors[-1] for name, field in form._fields.items() if field.errors}
    return render_template("worries/report.html", step=step, values=values, errors=errors,
                           labels=LABELS, form=EmptyForm()), status


def _send(form: PupilWorryForm, place: str | None) -> ResponseReturnValue:
    chosen = service.PupilWorry(kind=form.kind.data, about=form.about.data or None,
                                feeling=form.feeling.data or None,
                                words=form.words.data or None,
                                wants_to_talk=form.wants_to_talk, token=form.token.data)
    try:
        worry = service.submit_pupil_worry(current_user, chosen, place)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("a worry could not be saved")
        return render_template("worries/not_sent.html"), 503
    # email: the sender process
    return redirect(url_for("worries.sent", ref=service.worry_reference(worry.id)))


@bp.route("/worry/sent/<ref>")
@require("learn")
def sent(ref: str) -> ResponseReturnValue:
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
def mine() -> ResponseReturnValue:
    worries = db.session.scalars(select(Worry).where(Worry.raised_by_id == current_user.id)
                                 .order_by(Worry.created_at.desc()))
    rows = [(w, service.state_of(w)) for w in worries]
    return render_template("worries/mine.html", rows=rows, labels=LABELS,
                           reference=service.worry_reference,
                           names=service.display_names(current_user.school_id))


def _hidden_since(started: str) -> bool:
    hidden_at = session.get("hidden_at")
    return isinstance(hidden_at, int) and started.isdigit() and int(started) <= hidden_at


@bp.route("/hide")
def hide() -> ResponseReturnValue:
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


def _show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """A service's WorryInputError onto the form's fields (shown beside them)."""
    for name, message in errors.items():
        field = form._fields.get(name) or form._fields.get("text")
        if field is not None:
            field.errors = [*field.errors, message]


@bp.route("/safeguarding/concern", methods=["GET", "POST"])
@require("staff")
def concern() -> ResponseReturnValue:
    form = ConcernForm()
    form.pupil.choices = [SelectChoice(0, "Choose a pupil…"), *_pupil_choices()]
    if request.method == "GET":
        form.token.data = service.new_token()
        if request.args.get("pupil", "").isdigit():
            form.pupil.data = int(request.args["pupil"])
    if form.validate_on_submit():
        token = form.token.data if len(form.token.data or "") == 32 else service.new_token()
        try:
            service.record_concern(current_user, db.session.get(Pupil, form.pupil.data),
                                   form.kind.data, form.words.data, form.child_words.data,
                                   form.occurred_utc, token)
            db.session.commit()
        except service.WorryInputError as exc:
            _show_errors(form, exc.errors)
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("a concern could not be saved")
            return render_template("worries/concern_not_saved.html", form=form), 503
        else:
            flash("Your concern has been recorded and sent to the safeguarding lead.",
                  "success")
            return redirect(url_for("worries.my_concerns"))
    return render_template("worries/concern.html", form=form), (
        400 if request.method == "POST" else 200)


@bp.route("/safeguarding/concerns/mine")
@require("staff")
def my_concerns() -> ResponseReturnValue:
    """What I recorded, its status and the outcome line the lead shared: never the record."""
    worries = list(db.session.scalars(select(Worry).where(
        Worry.raised_by_id == current_user.id).order_by(Worry.created_at.desc())))
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(
        Pupil.id.in_([w.about_pupil_id for w in worries if w.about_pupil_id])))}
    return render_template("worries/my_concerns.html", worries=worries, pupils=pupils,
                           labels=LABELS, states={w.id: service.state_of(w) for w in worries})


# --- the safeguarding lead ------------------------------------------------------------------


def _worry_or_404(worry_id: int) -> Worry:
    worry = db.session.get(Worry, worry_id)
    if worry is None or not may_read_worry(current_user, worry):
        abort(404)
    return worry


def _pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.school_id != current_user.school_id:
        abort(404)
    return pupil


def _audited(html: str, action: str, target: str, detail: str) -> str:
    """Record the view and commit once, after the page is rendered from the loaded rows (a
    commit first would expire them, and the page would reload each row)."""
    service.audit(current_user, action, target, detail)
    db.session.commit()
    return html


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _inbox_filter(form: InboxFilterForm) -> desk.InboxFilter:
    """The filters as typed values; one that is not a known choice is left out (and said)."""
    def value(name: str, default: Any) -> Any:
        field = form[name]
        return default if field.errors or field.data is None else field.data

    return desk.InboxFilter(status=value("status", ""), urgency=value("urgency", ""),
                            kind=value("kind", ""), source=value("source", ""),
                            class_id=value("class_id", 0), pupil_id=value("pupil_id", 0),
                            q=value("q", ""))


@bp.route("/safeguarding/")
@require("safeguarding")
def inbox() -> ResponseReturnValue:
    form = InboxFilterForm(request.args)
    classes, pupils = desk.filter_choices(current_user.school_id)
    form.class_id.choices = choices([(0, "Any class"), *classes])
    form.pupil_id.choices = choices([(0, "Any pupil"), *pupils])
    form.validate()
    page = desk.inbox_page(current_user.school_id, _inbox_filter(form), _page_number())
    service.audit(current_user, "view", "inbox",
                  f"listed {len(page.items)} worries (page {page.page}, {page.total} in all)")
    db.session.commit()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("worries/inbox.html", page=page, form=form, labels=LABELS,
                           args=args, filtered=bool(args), today=school_today())


def _entry_form(kind: str, worry: Worry, state: service.WorryState,
                bound: bool = False) -> EntryForm:
    """The form for one kind of triage entry, its choices from this worry's record."""
    form = ENTRY_FORMS[kind]() if bound else ENTRY_FORMS[kind](formdata=None)
    form.entry.data = kind
    if isinstance(form, ActionForm):
        form.owner.choices = choices([(0, "Nobody yet"), *[
            (u.id, u.display_name) for u in service.leads(worry.school_id)]])
    elif isinstance(form, CorrectionForm):
        form.corrects.choices = choices((e.id, entry_label(e)) for e in worry.entries)
    elif isinstance(form, DoneForm):
        form.done.choices = choices((a.id, entry_label(a)) for a in state.open_actions)
    elif isinstance(form, LinkForm):
        form.linked.choices = choices(desk.link_choices(worry))
    return form


def _triage(worry: Worry) -> EntryForm | ResponseReturnValue:
    """Validate and save one posted entry: a redirect when saved, else the form with errors."""
    kind = request.form.get("entry", "")
    if kind not in ENTRY_FORMS:
        abort(400)
    form = _entry_form(kind, worry, service.state_of(worry), bound=True)
    if form.validate_on_submit():
        try:
            triage.HANDLERS[kind](worry, current_user, form)
        except service.WorryInputError as exc:
            db.session.rollback()
            _show_errors(form, exc.errors)
        else:
            db.session.commit()
            flash("Saved to the record.", "success")
            return redirect(url_for("worries.worry", worry_id=worry.id))
    elif form.csrf_token.errors:
        abort(400)
    return form


@bp.route("/safeguarding/worries/<int:worry_id>", methods=["GET", "POST"])
@require("safeguarding")
def worry(worry_id: int) -> ResponseReturnValue:
    worry = _worry_or_404(worry_id)
    failed: EntryForm | None = None
    if request.method == "POST":
        outcome = _triage(worry)
        if not isinstance(outcome, EntryForm):
            return outcome
        failed = outcome
    service.mark_read(worry, current_user)
    service.audit(current_user, "view", f"worry {worry.id}")
    db.session.commit()
    db.session.refresh(worry)
    state = service.state_of(worry)
    forms = {kind: failed if failed is not None and failed.entry.data == kind
             else _entry_form(kind, worry, state) for kind in ENTRY_FORMS}
    pupil = db.session.get(Pupil, worry.about_pupil_id) if worry.about_pupil_id else None
    reporter = db.session.scalar(select(Pupil).where(Pupil.user_id == worry.raised_by_id))
    errors = {n: f.errors[-1] for n, f in failed._fields.items() if f.errors} if failed else {}
    return render_template(
        "worries/worry.html", worry=worry, state=state, pupil=pupil, reporter=reporter,
        names=service.display_names(current_user.school_id), labels=LABELS, errors=errors,
        forms=forms, failed=failed.entry.data if failed else None, today=school_today(),
        linked=desk.linked_rows(worry), entry_label=entry_label,
        lead=service.lead_names(current_user.school_id)), (400 if failed else 200)


@bp.route("/safeguarding/pupils/<int:pupil_id>")
@require("safeguarding")
def chronology(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    page = desk.chronology_page(pupil, _page_number())
    html = render_template("worries/chronology.html", pupil=pupil, items=page.items, page=page,
                           labels=LABELS, names=service.display_names(current_user.school_id),
                           printable=False)
    return _audited(html, "view", f"pupil {pupil.id} chronology", f"page {page.page}")


@bp.route("/safeguarding/pupils/<int:pupil_id>/file")
@require("safeguarding")
def export_page(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if twostep.reauth_needed():  # a fresh sign-in, or the password (and code) again
        return redirect(url_for("auth.reauth", next=request.path))
    items = service.chronology(pupil)
    service.audit(current_user, "export", f"pupil {pupil.id} file", "printable page")
    db.session.commit()
    return render_template("worries/chronology.html", pupil=pupil, items=items, labels=LABELS,
                           names=service.display_names(current_user.school_id), printable=True,
                           exported_at=utcnow(), page=None)


@bp.route("/safeguarding/pupils/<int:pupil_id>/file.csv")
@require("safeguarding")
def export_csv(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if twostep.reauth_needed():  # a fresh sign-in, or the password (and code) again
        return redirect(url_for("auth.reauth", next=request.path))
    body = service.export_csv(pupil, service.display_names(current_user.school_id))
    service.audit(current_user, "export", f"pupil {pupil.id} file", "CSV")
    db.session.commit()
    name = f"safeguarding-file-{pupil.first_name}-{pupil.surname_initial}-{pupil.id}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


AUDIT_ACTIONS = ("view", "export", "change", "create")


@bp.route("/safeguarding/audit")
@require("safeguarding")
def audit_log() -> ResponseReturnValue:
    action = request.args.get("action", "")
    action = action if action in AUDIT_ACTIONS else ""
    page = desk.audit_page(current_user.school_id, _page_number(), action)
    html = render_template("worries/audit.html", events=page.items, page=page, action=action,
                           actions=AUDIT_ACTIONS,
                           names=service.display_names(current_user.school_id))
    return _audited(html, "view", "audit log", f"page {page.page}")


@bp.route("/safeguarding/retention")
@require("safeguarding")
def retention() -> ResponseReturnValue:
    age = current_app.config["SAFEGUARDING_RETENTION_AGE"]
    page = desk.retention_page(current_user.school_id, utcnow().date(), age, _page_number())
    service.audit(current_user, "view", "retention report", f"{page.total} pupils listed")
    db.session.commit()
    return render_template("worries/retention.html", rows=page.items, page=page, age=age)


@bp.route("/safeguarding/away", methods=["GET", "POST"])
@require("safeguarding")
def away() -> ResponseReturnValue:
    """A lead marks themself away, or back: while away, alerts go to the other leads."""
    form = AwayForm()
    back = EmptyForm(prefix="back")
    if request.form.get("back-submit") and back.validate_on_submit():
        today = school_today()
        service.mark_away(current_user, today - timedelta(days=1), today - timedelta(days=1))
        db.session.commit()
        flash("You are back: alerts come to you again.", "success")
        return redirect(url_for("worries.away"))
    if form.validate_on_submit():
        service.mark_away(current_user, form.starts_on.data, form.ends_on.data)
        db.session.commit()
        flash("Saved: while you are away, alerts go to the other leads.", "success")
        return redirect(url_for("worries.away"))
    return render_template("worries/away.html", form=form, back=back,
                           plan=service.away_plan(current_user),
                           others=[u for u in service.leads(current_user.school_id)
                                   if u.id != current_user.id]), (
        400 if request.method == "POST" else 200)


def _report_period() -> tuple[date, date]:
    """This school year so far, unless ?from=&to= (ISO dates) say otherwise."""
    ends = school_today()
    starts = reports.school_year_start(ends)
    try:
        starts = date.fromisoformat(request.args.get("from") or starts.isoformat())
        ends = date.fromisoformat(request.args.get("to") or ends.isoformat())
    except ValueError:
        flash("Those dates are not in the form 2026-09-01; showing this school year.", "error")
        ends = school_today()
        starts = reports.school_year_start(ends)
    return (starts, ends) if starts <= ends else (ends, starts)


@bp.route("/safeguarding/report")
@require("safeguarding")
def governors_report() -> ResponseReturnValue:
    starts, ends = _report_period()
    report = reports.governors_report(current_user.school_id, starts, ends)
    html = render_template("worries/governors.html", report=report, labels=LABELS,
                           shown=reports.shown, printable=request.args.get("print") == "1")
    return _audited(html, "view", "governors report", f"{starts} to {ends}")


@bp.route("/safeguarding/report.csv")
@require("safeguarding")
def governors_report_csv() -> ResponseReturnValue:
    starts, ends = _report_period()
    body = reports.report_csv(reports.governors_report(current_user.school_id, starts, ends))
    service.audit(current_user, "export", "governors report", f"CSV {starts} to {ends}")
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="safeguarding-report-{starts}-{ends}.csv"'})


# --- transfer when a child moves school -----------------------------------------------------


def _package_or_404(pupil: Pupil, package_id: int | str | None) -> TransferRecord:
    text = str(package_id or "")
    package = db.session.get(TransferRecord, int(text)) if text.isdigit() else None
    if package is None or package.kind != "package" or package.pupil_id != pupil.id \
            or package.school_id != current_user.school_id:
        abort(404)
    return package


def _transfer_post(pupil: Pupil, forms: dict[str, FlaskForm]) -> ResponseReturnValue | None:
    """Save whichever transfer form was sent; None when it had errors (shown beside it)."""
    names = service.display_names(current_user.school_id)
    step = request.form.get("step", "")
    form = forms.get(step)
    if form is None or not form.validate_on_submit():
        return None
    try:
        if step == "package":
            made = transfer.make_package(current_user, pupil, form.receiving_school.data,
                                         form.leaving_on.data, names)
            flash(f"Transfer package {made.id} produced.", "success")
        else:
            package = _package_or_404(pupil, form.package.data)
            transfer.record_step(current_user, package, step, form.person.data,
                                 from_school_clock(form.at.data) if form.at.data else None,
                                 form.method.data if step == "handover" else None)
            flash("Saved to the transfer record.", "success")
    except service.WorryInputError as exc:
        db.session.rollback()
        _show_errors(form, exc.errors)
        return None
    db.session.commit()
    return redirect(url_for("worries.transfer_page", pupil_id=pupil.id))


@bp.route("/safeguarding/pupils/<int:pupil_id>/transfer", methods=["GET", "POST"])
@require("safeguarding")
def transfer_page(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if twostep.reauth_needed():  # the whole file leaves the school: sign in again first
        return redirect(url_for("auth.reauth", next=request.path))
    bound = request.method == "POST"
    forms: dict[str, FlaskForm] = {
        "package": TransferForm() if bound and request.form.get("step") == "package"
        else TransferForm(formdata=None),
        "handover": HandoverForm() if bound and request.form.get("step") == "handover"
        else HandoverForm(formdata=None),
        "receipt": ReceiptForm() if bound and request.form.get("step") == "receipt"
        else ReceiptForm(formdata=None)}
    if bound:
        saved = _transfer_post(pupil, forms)
        if saved is not None:
            return saved
    html = render_template("worries/transfer.html", pupil=pupil, forms=forms,
                           packages=transfer.packages(pupil), labels=LABELS,
                           methods=HANDOVER_METHODS, days=transfer.SCHOOL_DAYS,
                           step=request.form.get("step") if bound else None)
    return _audited(html, "view", f"pupil {pupil.id} transfer", "transfer page"), (
        400 if bound else 200)


@bp.route("/safeguarding/pupils/<int:pupil_id>/transfer/<int:package_id>")
@require("safeguarding")
def transfer_print(pupil_id: int, package_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    package = _package_or_404(pupil, package_id)
    if twostep.reauth_needed():
        return redirect(url_for("auth.reauth", next=request.path))
    names = service.display_names(current_user.school_id)
    html = render_template(
        "worries/chronology.html", pupil=pupil, items=service.chronology(pupil), labels=LABELS,
        names=names, printable=True, exported_at=utcnow(), page=None, package=package,
        current_sum=transfer.checksum(transfer.file_entries(pupil, names)),
        deadline=transfer.school_days_after(package.leaving_on or school_today()))
    return _audited(html, "export", f"pupil {pupil.id} transfer",
                    f"package {package.id} printable")


@bp.route("/safeguarding/pupils/<int:pupil_id>/transfer/<int:package_id>.json")
@require("safeguarding")
def transfer_json(pupil_id: int, package_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    package = _package_or_404(pupil, package_id)
    if twostep.reauth_needed():
        return redirect(url_for("auth.reauth", next=request.path))
    body = transfer.package_json(pupil, package, current_user.school.name,
                                 service.display_names(current_user.school_id))
    service.audit(current_user, "export", f"pupil {pupil.id} transfer",
                  f"package {package.id} JSON")
    db.session.commit()
    name = f"safeguarding-transfer-{pupil.first_name}-{pupil.surname_initial}-{package.id}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
