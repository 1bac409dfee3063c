"""Routes of the admin area: thin, each one a form, a call to a plain function, one commit."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..auth.forms import EmptyForm
from ..db import db, utcnow
from ..models import ImportBatch, ParentLink, Pupil, SchoolClass, User
from ..permissions import (
    managed_class_or_404,
    managed_pupil_or_404,
    managed_staff_or_404,
    may_manage_class,
    may_manage_link,
    may_use_import,
    require,
    visible_classes,
    visible_pupils,
    visible_staff,
)
from . import audit, bp, classes, importer, links, pupils, staff, year
from .errors import Refused
from .forms import (
    ClassForm,
    ConfirmImportForm,
    ImportForm,
    LeaversForm,
    PupilEditForm,
    PupilForm,
    StaffEditForm,
    StaffForm,
)

IMPORT_HOURS = 12  # an upload waits this long for its confirmation


def _refused(form: FlaskForm, exc: Refused) -> None:
    """Show a refusal on the field it concerns, or at the top of the page."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


def _status(form: FlaskForm) -> int:
    return 400 if form.errors else 200


def _staff_or_404(user_id: int) -> User:
    return managed_staff_or_404(current_user, user_id)


def _class_or_404(class_id: int) -> SchoolClass:
    return managed_class_or_404(current_user, class_id)


def _pupil_or_404(pupil_id: int) -> Pupil:
    return managed_pupil_or_404(current_user, pupil_id)


# --- home ---------------------------------------------------------------------------------


@bp.route("/")
@require("admin")
def home() -> ResponseReturnValue:
    school = current_user.school
    return render_template(
        "admin/home.html", school=school, warnings=staff.school_warnings(school.id),
        staff_count=len(visible_staff(current_user)), classes=classes.all_classes(school.id),
        counts=classes.pupil_counts(school.id),
        school_year=year.school_year_label(year.current_start_year(school)))


# --- staff --------------------------------------------------------------------------------


def _details(form: StaffForm | StaffEditForm) -> staff.StaffDetails:
    return staff.StaffDetails(form.display_name.data.strip(), (form.email.data or "").strip()
                              or None, frozenset(form.roles.data or ()))


@bp.route("/staff", methods=["GET", "POST"])
@require("admin")
def staff_list() -> ResponseReturnValue:
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user, password = staff.add_staff(current_user.school, current_user,
                                             form.username.data, _details(form))
        except Refused as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            return render_template("admin/one_time_password.html", person=user,
                                   password=password, new=True)
    return render_template("admin/staff.html", form=form,
                           people=visible_staff(current_user)), _status(form)


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@require("admin")
def staff_edit(user_id: int) -> ResponseReturnValue:
    person = _staff_or_404(user_id)
    form = StaffEditForm(obj=person)
    if request.method == "GET":
        form.roles.data = sorted(person.role_names)
    if form.validate_on_submit():
        try:
            staff.update_staff(person, current_user, _details(form))
        except Refused as exc:
            db.session.rollback()
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"Saved {person.display_name}.", "success")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff_edit.html", form=form, person=person,
                           button=EmptyForm()), _status(form)


@bp.route("/staff/<int:user_id>/active", methods=["POST"])
@require("admin")
def staff_active(user_id: int) -> ResponseReturnValue:
    person = _staff_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        staff.set_active(person, current_user, active)
    except Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{person.display_name} can {'now' if active else 'no longer'} sign in"
              f"{'' if active else '; any open session has ended'}.", "success")
    return redirect(url_for("admin.staff_edit", user_id=person.id))


@bp.route("/staff/<int:user_id>/password", methods=["POST"])
@require("admin")
def staff_password(user_id: int) -> ResponseReturnValue:
    person = _staff_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    password = staff.reset_password(person, current_user)
    db.session.commit()
    return render_template("admin/one_time_password.html", person=person, password=password,
                           new=False)


@bp.route("/staff/<int:user_id>/unlock", methods=["POST"])
@require("admin")
def staff_unlock(user_id: int) -> ResponseReturnValue:
    person = _staff_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    staff.unlock_account(person, current_user)
    db.session.commit()
    flash(f"{person.display_name} can try to sign in again now, from any device.", "success")
    return redirect(url_for("admin.staff_edit", user_id=person.id))


@bp.route("/staff/<int:user_id>/two-step", methods=["POST"])
@require("admin")
def staff_two_step(user_id: int) -> ResponseReturnValue:
    person = _staff_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    staff.reset_two_step(person, current_user)
    db.session.commit()
    flash(f"Two-step sign-in for {person.display_name} is reset: they set it up again, with "
          "their new phone, when they next sign in.", "success")
    return redirect(url_for("admin.staff_edit", user_id=person.id))


# --- classes ------------------------------------------------------------------------------


def _teacher_choices(form: ClassForm) -> None:
    form.teachers.choices = [SelectChoice(u.id, u.display_name)
                             for u in classes.teachers(current_user.school_id)]


@bp.route("/classes", methods=["GET", "POST"])
@require("teach")
def class_list() -> ResponseReturnValue:
    is_admin = current_user.has_role("school_admin")
    form = ClassForm()
    _teacher_choices(form)
    if request.method == "POST":
        if not is_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                made = classes.create_class(current_user.school, current_user, form.name.data,
                                            form.year_group.data, form.teachers.data or [])
            except Refused as exc:
                db.session.rollback()
                _refused(form, exc)
            else:
                db.session.commit()
                flash(f"Created {made.name}. Add its pupils next.", "success")
                return redirect(url_for("admin.class_page", class_id=made.id))
    school_id = current_user.school_id
    return render_template(
        "admin/classes.html", form=form if is_admin else None,
        classes=visible_classes(current_user), counts=classes.pupil_counts(school_id),
        teachers=classes.teachers_by_class(school_id),
        archived=classes.all_classes(school_id, archived=True) if is_admin else []), \
        _status(form)


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
@require("teach")
def class_page(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    if school_class.archived_at is not None:
        abort(404)
    is_admin = current_user.has_role("school_admin")
    form = ClassForm(obj=school_class)
    _teacher_choices(form)
    if request.method == "GET":
        form.teachers.data = [u.id for u in classes.teachers_by_class(
            school_class.school_id).get(school_class.id, [])]
    if not is_admin:  # teachers may change only whether pupils choose their password
        form.name.data, form.year_group.data = school_class.name, school_class.year_group
        form.teachers.data = [u.id for u in classes.teachers_by_class(
            school_class.school_id).get(school_class.id, [])]
    if form.validate_on_submit():
        try:
            classes.update_class(school_class, current_user, form.name.data,
                                 form.year_group.data,
                                 form.teachers.data if is_admin else None,
                                 form.pupils_choose_password.data)
        except Refused as exc:
            db.session.rollback()
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"Saved {school_class.name}.", "success")
            return redirect(url_for("admin.class_page", class_id=school_class.id))
    members = visible_pupils(current_user, school_class)
    leavers = LeaversForm(prefix="left")
    leavers.pupils.choices = [SelectChoice(p.id, p.short_name) for p in members]
    return render_template("admin/class.html", school_class=school_class, form=form,
                           is_admin=is_admin, pupils=members, leavers=leavers,
                           button=EmptyForm(), now=utcnow()), _status(form)


@bp.route("/classes/<int:class_id>/archive", methods=["POST"])
@require("admin")
def class_archive(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        classes.archive_class(school_class, current_user)
    except Refused as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.class_page", class_id=school_class.id))
    db.session.commit()
    flash(f"Archived {school_class.name}. Its pupils' learning records are kept.", "success")
    return redirect(url_for("admin.class_list"))


@bp.route("/classes/<int:class_id>/left", methods=["POST"])
@require("teach")
def class_leavers(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    members = visible_pupils(current_user, school_class)
    form = LeaversForm(prefix="left")
    form.pupils.choices = [SelectChoice(p.id, p.short_name) for p in members]
    if not form.validate_on_submit() or not form.pupils.data:
        flash("Tick the pupils who have left, then press the button again.", "error")
        return redirect(url_for("admin.class_page", class_id=school_class.id))
    chosen = [p for p in members if p.id in set(form.pupils.data)]
    count = pupils.mark_left(chosen, current_user)
    db.session.commit()
    flash(f"{count} pupil{'s' if count != 1 else ''} marked as left: they can no longer sign "
          "in and their families no longer see them. Learning records are kept.", "success")
    return redirect(url_for("admin.class_page", class_id=school_class.id))


@bp.route("/classes/<int:class_id>/cards")
@require("teach")
def login_cards(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    return render_template("admin/cards.html", school_class=school_class,
                           pupils=visible_pupils(current_user, school_class), single=False)


# --- pupils -------------------------------------------------------------------------------


def _class_choices(form: PupilForm | PupilEditForm,
                   selected: SchoolClass | None = None) -> list[SchoolClass]:
    options = visible_classes(current_user)
    form.school_class.choices = [SelectChoice(c.id, c.name) for c in options]
    if selected is not None and request.method == "GET":
        form.school_class.data = selected.id
    return options


@bp.route("/classes/<int:class_id>/pupils/new", methods=["GET", "POST"])
@require("teach")
def pupil_new(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    form = PupilForm()
    options = _class_choices(form, school_class)
    if request.method == "GET":
        form.year_group.data = school_class.year_group
    if form.validate_on_submit():
        target = next(c for c in options if c.id == form.school_class.data)
        problems = [pupils.name_problem(pupils.tidy(form.first_name.data), "First name"),
                    pupils.name_problem(pupils.tidy(form.surname.data), "Surname")]
        for field, problem in zip((form.first_name, form.surname), problems, strict=True):
            if problem:
                field.errors = [problem]
        if not any(problems):
            pupil = pupils.add_pupil(current_user.school, current_user, target, pupils.NewPupil(
                form.first_name.data, form.surname.data, form.year_group.data))
            db.session.commit()
            flash(f"Added {pupil.short_name}. Print their login card below.", "success")
            return redirect(url_for("admin.pupil_card", pupil_id=pupil.id))
    return render_template("admin/pupil_form.html", form=form, school_class=school_class,
                           pupil=None), _status(form)


@bp.route("/pupils/<int:pupil_id>", methods=["GET", "POST"])
@require("teach")
def pupil_edit(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    form = PupilEditForm(obj=pupil)
    options = _class_choices(form, pupil.school_class)
    if form.validate_on_submit():
        target = next(c for c in options if c.id == form.school_class.data)
        problem = pupils.name_problem(pupils.tidy(form.first_name.data), "First name")
        surname = pupils.tidy(form.surname.data or "")
        surname_problem = pupils.name_problem(surname, "Surname") if surname else None
        if problem or surname_problem:
            form.first_name.errors = [problem] if problem else []
            form.surname.errors = [surname_problem] if surname_problem else []
        else:
            credentials = pupils.update_pupil(pupil, current_user, form.first_name.data,
                                              surname or None, form.year_group.data, target)
            db.session.commit()
            flash(f"Saved {pupil.short_name}.", "success")
            if credentials is not None:
                flash("The new year group is in another key stage, so the pupil has new "
                      "sign-in details: print the new card.", "info")
                return redirect(url_for("admin.pupil_card", pupil_id=pupil.id))
            return redirect(url_for("admin.class_page", class_id=target.id))
    return render_template("admin/pupil_form.html", form=form, school_class=pupil.school_class,
                           pupil=pupil, button=EmptyForm()), _status(form)


@bp.route("/pupils/<int:pupil_id>/card")
@require("teach")
def pupil_card(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    return render_template("admin/cards.html", school_class=pupil.school_class,
                           pupils=[pupil], single=True)


@bp.route("/pupils/<int:pupil_id>/sign-in", methods=["POST"])
@require("teach")
def pupil_reset(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    credentials = pupils.reset_sign_in(pupil, current_user)
    db.session.commit()
    flash(f"{pupil.short_name} has new {'pictures' if credentials.pictures else 'password'}. "
          "The old card no longer works.", "success")
    return redirect(url_for("admin.pupil_card", pupil_id=pupil.id))


@bp.route("/pupils/<int:pupil_id>/unlock", methods=["POST"])
@require("teach")
def pupil_unlock(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    pupils.unlock(pupil, current_user)
    db.session.commit()
    flash(f"{pupil.short_name} can try to sign in again now.", "success")
    return redirect(url_for("admin.class_page", class_id=pupil.class_id))


# --- import -------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@require("teach")
def import_upload() -> ResponseReturnValue:
    is_admin = current_user.has_role("school_admin")
    form = ImportForm()
    options = visible_classes(current_user)
    choices = [SelectChoice(c.id, c.name) for c in options]
    form.school_class.choices = ([SelectChoice(0, "The classes named in the file")]
                                 if is_admin else []) + choices
    wanted = request.args.get("class_id", 0, type=int)
    if request.method == "GET" and wanted:
        form.school_class.data = wanted
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read(importer.MAX_BYTES + 1) if upload else b""
        if not upload or not upload.filename:
            form.file.errors = ["Choose the CSV file to import."]
        else:
            batch = ImportBatch(school_id=current_user.school_id,
                                created_by_id=current_user.id,
                                class_id=form.school_class.data or None,
                                filename=upload.filename[:200], content=None)
            problem = None
            try:
                batch.content = importer.decode(data)
            except ValueError as exc:
                problem = str(exc)
            if problem:
                form.file.errors = [problem]
            else:
                db.session.add(batch)
                db.session.commit()
                return redirect(url_for("admin.import_preview", batch_id=batch.id))
    return render_template("admin/import.html", form=form, is_admin=is_admin,
                           limit_mb=importer.MAX_BYTES // 1_000_000), _status(form)


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not may_use_import(current_user, batch):
        abort(404)
    return batch


def _plan(batch: ImportBatch) -> tuple[importer.Plan, SchoolClass | None]:
    only = None
    if batch.class_id:
        only = db.session.get(SchoolClass, batch.class_id)
        if not may_manage_class(current_user, only):
            abort(404)
    elif not current_user.has_role("school_admin"):
        abort(404)
    parsed = importer.read_csv((batch.content or "").encode("utf-8"),
                               class_required=only is None)
    return importer.make_plan(current_user.school, parsed, only), only


@bp.route("/import/<int:batch_id>", methods=["GET", "POST"])
@require("teach")
def import_preview(batch_id: int) -> ResponseReturnValue:
    batch = _batch_or_404(batch_id)
    if batch.applied_at is not None:
        flash("That file has already been imported.", "info")
        return redirect(url_for("admin.import_upload"))
    if batch.created_at < utcnow() - timedelta(hours=IMPORT_HOURS):
        flash("That upload is too old to import. Please upload the file again.", "error")
        return redirect(url_for("admin.import_upload"))
    plan, only = _plan(batch)
    form = ConfirmImportForm()
    if form.validate_on_submit():
        if plan.problems:
            abort(400)
        if form.digest.data != plan.digest():
            flash("The school's pupils changed since this preview. Check the new preview "
                  "and confirm again.", "error")
        else:
            result = importer.apply_plan(current_user.school, current_user, plan,
                                         batch.filename)
            batch.applied_at, batch.content = utcnow(), None
            db.session.commit()
            return render_template("admin/import_done.html", result=result, plan=plan,
                                   batch=batch)
    form.digest.data = plan.digest()
    return render_template("admin/import_preview.html", plan=plan, batch=batch, form=form,
                           only=only), (400 if plan.problems else 200)


# --- families -----------------------------------------------------------------------------


@bp.route("/families")
@require("admin")
def families() -> ResponseReturnValue:
    class_id = request.args.get("class_id", type=int)
    school_class = _class_or_404(class_id) if class_id else None
    return render_template("admin/families.html",
                           rows=links.family_rows(current_user.school_id, class_id),
                           classes=visible_classes(current_user),
                           school_class=school_class, button=EmptyForm())


def _letters(chosen: list[Pupil]) -> str:
    issued = [links.issue(p, current_user) for p in chosen]
    db.session.commit()
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return render_template("admin/family_letters.html", issued=issued,
                           join_url=base.rstrip("/") + url_for("join.join"),
                           school=current_user.school)


@bp.route("/pupils/<int:pupil_id>/family-letter", methods=["POST"])
@require("admin")
def family_letter(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _letters([pupil])


@bp.route("/classes/<int:class_id>/family-letters", methods=["POST"])
@require("admin")
def family_letters(class_id: int) -> ResponseReturnValue:
    school_class = _class_or_404(class_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    members = visible_pupils(current_user, school_class)
    if not members:
        flash(f"{school_class.name} has no pupils yet.", "error")
        return redirect(url_for("admin.families", class_id=school_class.id))
    return _letters(members)


@bp.route("/pupils/<int:pupil_id>/family-letter/withdraw", methods=["POST"])
@require("admin")
def family_withdraw(pupil_id: int) -> ResponseReturnValue:
    pupil = _pupil_or_404(pupil_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = links.revoke_codes(pupil, current_user)
    db.session.commit()
    flash(f"The family link letter for {pupil.short_name} no longer works." if count else
          f"{pupil.short_name} had no letter waiting.", "success")
    return redirect(url_for("admin.families", class_id=pupil.class_id))


@bp.route("/family-links/<int:link_id>/unlink", methods=["POST"])
@require("admin")
def family_unlink(link_id: int) -> ResponseReturnValue:
    link = db.session.get(ParentLink, link_id)
    if link is None or not may_manage_link(current_user, link):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    class_id = link.pupil.class_id
    links.unlink(link, current_user)
    db.session.commit()
    flash("Unlinked. That carer no longer sees this child.", "success")
    return redirect(url_for("admin.families", class_id=class_id))


# --- the school year and the audit log ----------------------------------------------------


@bp.route("/year", methods=["GET", "POST"])
@require("admin")
def school_year() -> ResponseReturnValue:
    school = current_user.school
    teacher_options = classes.teachers(school.id)
    valid = {u.id for u in teacher_options}
    names = teachers = None
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        names = {c.id: request.form.get(f"name-{c.id}", "")[:80]
                 for c in classes.all_classes(school.id)}
        teachers = {c.id: [int(x) for x in request.form.getlist(f"teachers-{c.id}")
                           if x.isdigit() and int(x) in valid]
                    for c in classes.all_classes(school.id)}
    plan = year.rollover_plan(school, names, teachers)
    if request.method == "POST" and request.form.get("action") == "confirm":
        try:
            carded = year.apply_rollover(school, current_user, plan,
                                         request.form.get("from_year", type=int) or 0)
        except Refused as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            return render_template("admin/year_done.html", plan=plan, carded=carded,
                                   label=year.school_year_label(plan.to_year))
    return render_template("admin/year.html", plan=plan, form=form, teachers=teacher_options,
                           label=year.school_year_label, reviewed=request.method == "POST"), \
        (400 if plan.problems and request.method == "POST" else 200)


@bp.route("/audit")
@require("admin")
def audit_log() -> ResponseReturnValue:
    page = audit.audit_page(current_user.school_id, request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", page=page)


def _larger_uploads() -> None:
    """Class lists may be larger than an ordinary form: allow them on the import page only.

    Registered to run before CSRFProtect reads the form (see ``bp.record_once`` below)."""
    if request.endpoint == "admin.import_upload":
        request.max_content_length = importer.MAX_BYTES + 64 * 1024


bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(
    0, _larger_uploads))
