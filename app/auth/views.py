from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms.fields.choices import SelectChoice

from ..db import db, utcnow
from ..models import HomeCard, Pupil, User
from ..permissions import require, visible_classes
from ..security import safe_local_path
from . import bp, homecards, service, throttle, twostep
from .agreements import agreement_for
from .forms import (
    DeviceForm,
    EmptyForm,
    LoginForm,
    NewPasswordForm,
    ReauthForm,
    TwoStepForm,
)
from .marks import marks_for

# Pages open to a signed-in account that has not yet accepted its agreement.
GATE_OPEN = {"auth.agreement", "auth.logout", "static", "auth.login", "auth.new_password",
             "auth.still_here", "auth.two_step", "auth.two_step_setup"}


@bp.before_app_request
def password_gate() -> ResponseReturnValue | None:
    """A first-time password from the school is changed before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in {"auth.new_password", "auth.logout", "static"}):
        return redirect(url_for("auth.new_password"))
    return None


@bp.route("/password/new", methods=["GET", "POST"])
@login_required
def new_password() -> ResponseReturnValue:
    """Choose a password: required after a first-time one, open to anyone signed in with one."""
    if current_user.password_hash is None and not (
            current_user.pupil is not None and current_user.pupil.card_password):
        abort(404)
    form = NewPasswordForm()
    first_time = current_user.must_change_password
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not first_time and not service.check_secret(user, form.current.data or ""):
            form.current.errors = ["That is not your current password."]
        else:
            problem = service.password_problem(user, form.password.data)
            if problem is None:
                service.set_password(user, form.password.data)
                db.session.commit()
                login_user(user)  # this session carries on with the new version
                flash("Your new password is ready. Use it next time you sign in.", "success")
                return redirect(home_for(user))
            form.password.errors = [problem]
    return render_template("auth/new_password.html", form=form, first_time=first_time), \
        (400 if form.errors or form.current.errors or form.password.errors else 200)


@bp.before_app_request
def agreement_gate() -> ResponseReturnValue | None:
    if (not current_user.is_authenticated or request.endpoint in GATE_OPEN
            or request.endpoint is None):
        return None
    # Remember in the signed session that this agreement version was accepted: no query
    # per request; a new version of the words changes the key and asks again.
    agreement = agreement_for(current_user.agreement_key)
    mark = f"{current_user.id}:{agreement.key}:{agreement.version}"
    if session.get("agreed") == mark:
        return None
    if not service.has_accepted(current_user):
        return redirect(url_for("auth.agreement"))
    session["agreed"] = mark
    return None


def home_for(user: User) -> str:
    if user.kind == "pupil":
        return url_for("learn.home")
    if user.kind == "parent":
        return url_for("family.home")
    return url_for("teach.home")


def _safe_next(target: str | None) -> str | None:
    return safe_local_path(target)


def _remember_device(response: WerkzeugResponse, known: service.KnownDevice | None,
                     user: User) -> None:
    """After a real sign-in this browser is a known device for the account (a signed cookie
    that only lets its failures count apart from strangers'; it signs nobody in)."""
    response.set_cookie(
        service.KNOWN_DEVICE_COOKIE, service.remember_device(known, user),
        max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 86400, httponly=True,
        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def _complete_sign_in(user: User, known: service.KnownDevice | None, target: str | None,
                      page: str | None = None, **context: Any) -> WerkzeugResponse:
    """Both steps done: a new session, counted as a fresh sign-in, on a known device."""
    _start_session(user)
    twostep.mark_reauthenticated()
    response: WerkzeugResponse
    if page:
        response = make_response(render_template(page, **context))
    else:
        response = redirect(target or home_for(user))
    _remember_device(response, known, user)
    return response


def _pending_two_step() -> tuple[User | None, dict[str, Any]]:
    """The account whose password was right a moment ago, waiting for its second step."""
    state = session.get("twostep")
    if not isinstance(state, dict) or not isinstance(state.get("at"), int) \
            or time.time() - state["at"] > 300:
        return None, {}
    user = db.session.get(User, state.get("u")) if isinstance(state.get("u"), int) else None
    if user is None or not user.is_active or user.session_version != state.get("v"):
        return None, {}
    return user, state


@bp.route("/login/two-step", methods=["GET", "POST"])
def two_step() -> ResponseReturnValue:
    user, state = _pending_two_step()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_secret is None:
        return redirect(url_for("auth.two_step_setup"))
    form = TwoStepForm()
    error = None
    if form.validate_on_submit():
        error = twostep.verify(user, form.code.data)
        db.session.commit()
        if error is None:
            known = service.known_device(request.cookies.get(service.KNOWN_DEVICE_COOKIE))
            return _complete_sign_in(user, known, state.get("next"))
    return render_template("auth/two_step.html", form=form, error=error), \
        (400 if error or form.errors else 200)


@bp.route("/login/two-step/setup", methods=["GET", "POST"])
def two_step_setup() -> ResponseReturnValue:
    """First sign-in of an account that needs two steps: scan, type a code, keep the
    recovery codes. The secret waits in the signed session until a code proves it works."""
    user, state = _pending_two_step()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_secret is not None:
        return redirect(url_for("auth.two_step"))
    secret = state.get("secret") or twostep.new_secret()
    session["twostep"] = {**state, "secret": secret}
    form = TwoStepForm()
    error = None
    if form.validate_on_submit():
        step = twostep.check_new(secret, form.code.data)
        if step is not None:
            codes = twostep.turn_on(user, secret, step)
            db.session.commit()
            known = service.known_device(request.cookies.get(service.KNOWN_DEVICE_COOKIE))
            target = state.get("next") or home_for(user)
            return _complete_sign_in(user, known, target, page="auth/recovery_codes.html",
                                     codes=codes, carry_on=target)
        error = twostep.WRONG_CODE
    uri = twostep.setup_uri(user, secret)
    return render_template("auth/two_step_setup.html", form=form, error=error,
                           qr_html=twostep.qr_svg(uri), secret=twostep.grouped(secret)), \
        (400 if error or form.errors else 200)


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step_account() -> ResponseReturnValue:
    """How many recovery codes are left, and ten new ones (after confirming who you are)."""
    user = current_user._get_current_object()
    if user.totp_secret is None:
        abort(404)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        if twostep.reauth_needed():
            return redirect(url_for("auth.reauth", next=url_for("auth.two_step_account")))
        codes = twostep.new_recovery_codes(user)
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes,
                               carry_on=home_for(user))
    return render_template("auth/two_step_account.html", form=form,
                           left=twostep.recovery_codes_left(user))


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
def reauth() -> ResponseReturnValue:
    """Confirm who you are before something sensitive (a child's safeguarding file)."""
    user = current_user._get_current_object()
    form = ReauthForm()
    back = _safe_next(request.values.get("next")) or home_for(user)
    error = None
    if form.validate_on_submit():
        key = f"login:user:{user.id}:reauth"
        if throttle.blocked(key):
            error = twostep.PAUSED
        elif not (user.password_hash
                  and check_password_hash(user.password_hash, form.password.data)):
            minutes = timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            throttle.fail(key, current_app.config["LOCKOUT_THRESHOLD"], minutes, minutes)
            error = "That is not your password."
        elif user.totp_secret:
            error = twostep.verify(user, form.code.data or "")
        db.session.commit()
        if error is None:
            twostep.mark_reauthenticated()
            return redirect(back)
    return render_template("auth/reauth.html", form=form, error=error, back=back,
                           needs_code=bool(user.totp_secret)), \
        (400 if error or form.errors else 200)


def _start_session(user: User) -> None:
    session.clear()
    login_user(user)
    # A pupil's session lives only until the browser closes (shared classroom devices) and
    # ends after PUPIL_IDLE_MINUTES without a page; adults keep theirs for a school day.
    session.permanent = not user.is_pupil
    if user.is_pupil:
        session["seen"] = int(time.time())


@bp.before_app_request
def pupil_idle_timeout() -> ResponseReturnValue | None:
    """End a pupil's session after PUPIL_IDLE_MINUTES without a request (server-side: the
    time is in the signed session, so a copied cookie ages too)."""
    if request.endpoint == "static" or not current_user.is_authenticated \
            or not current_user.is_pupil:
        return None
    now = int(time.time())
    seen = session.get("seen")
    if not isinstance(seen, int) or now - seen > current_app.config["PUPIL_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        return redirect(url_for("auth.login", away=1))
    asking = request.endpoint == "auth.still_here" and request.method == "GET"
    if now - seen >= 30 and not asking:  # re-sign the cookie twice a minute at most
        session["seen"] = now
    return None


@bp.route("/still-here", methods=["GET", "POST"])
@login_required
def still_here() -> ResponseReturnValue:
    """"Are you still there?": a press keeps a pupil's session going (the page's script
    calls it too); without JavaScript the page itself asks."""
    form = EmptyForm()
    back = _safe_next(request.values.get("next")) or home_for(current_user)
    if request.method == "POST" and form.validate_on_submit():
        if request.headers.get("X-Requested-With") == "fetch":
            return "", 204
        return redirect(back)
    return render_template("auth/still_here.html", form=form, back=back,
                           minutes=current_app.config["PUPIL_IDLE_MINUTES"])


@bp.route("/")
def index() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        known = service.known_device(request.cookies.get(service.KNOWN_DEVICE_COOKIE))
        result = service.password_sign_in(form.username.data, form.password.data,
                                          client=request.remote_addr or "unknown",
                                          device=known)
        db.session.commit()  # the request's one commit: the sign-in, or the failure counted
        if result.user is not None:
            target = _safe_next(request.args.get("next"))
            if twostep.asked_of(result.user):
                session.clear()
                session["twostep"] = {"u": result.user.id, "v": result.user.session_version,
                                      "at": int(time.time()), "next": target}
                return redirect(url_for("auth.two_step"))
            return _complete_sign_in(result.user, known, target)
        error = result.error
    device = service.device_class(request.cookies.get(service.DEVICE_COOKIE))
    status = 400 if (error or form.errors) else 200
    home = [] if device else homecards.home_pupils(request.cookies.get(homecards.HOME_COOKIE))
    return render_template("auth/login.html", form=form, error=error, device=device,
                           home=[p for _, p in home], away=request.args.get("away") == "1"), \
        status


@bp.route("/login/pictures")
def picture_names() -> ResponseReturnValue:
    device = service.device_class(request.cookies.get(service.DEVICE_COOKIE))
    home = homecards.home_pupils(request.cookies.get(homecards.HOME_COOKIE))
    if device is None and not home:
        return render_template("auth/no_device.html"), 403
    session.pop("pictures", None)
    pupils = service.device_pupils(device) if device else [p for _, p in home]
    return render_template("auth/picture_names.html", device=device, pupils=pupils,
                           marks=marks_for(pupils))


def _picture_place(pupil: Pupil | None) -> tuple[str, HomeCard | None] | None:
    """Where this pupil may tap their pictures: a class device enabled for their class, or
    a family's device with their working home card. The name throttles failures there."""
    if pupil is None or pupil.status != "active":
        return None
    token = request.cookies.get(service.DEVICE_COOKIE)
    device = service.device_class(token)
    if device is not None and token and pupil.class_id == device.id:
        return service.device_id(token), None
    home_token = request.cookies.get(homecards.HOME_COOKIE)
    card = homecards.card_for(home_token, pupil)
    if card is not None and home_token:
        return "home:" + service.device_id(home_token)[:24], card
    return None


@bp.route("/login/pictures/<int:pupil_id>", methods=["GET", "POST"])
def picture_code(pupil_id: int) -> ResponseReturnValue:
    if service.device_class(request.cookies.get(service.DEVICE_COOKIE)) is None and \
            not homecards.card_ids(request.cookies.get(homecards.HOME_COOKIE)):
        return render_template("auth/no_device.html"), 403
    pupil = db.session.get(Pupil, pupil_id)
    place = _picture_place(pupil)
    if place is None or pupil is None:
        abort(404)
    state = session.get("pictures") or {}
    chosen: list[str] = state.get("chosen", []) if state.get("pupil") == pupil.id else []
    form = EmptyForm()
    message = None
    if request.method == "POST" and form.validate_on_submit():
        picture = request.form.get("picture", "")
        if request.form.get("action") == "restart":
            chosen = []
        elif picture in service.PICTURES and len(chosen) < service.PICTURE_CODE_LENGTH:
            chosen = [*chosen, picture]
        if len(chosen) == service.PICTURE_CODE_LENGTH:
            result = service.picture_sign_in(pupil, chosen, place[0])
            session.pop("pictures", None)
            if result.user is not None and place[1] is not None:
                homecards.note_sign_in(place[1])
            db.session.commit()  # the sign-in (and the home card's use), or the failure counted
            if result.user is not None:
                _start_session(result.user)
                return redirect(home_for(result.user))
            message = result.error
            chosen = []
        else:
            session["pictures"] = {"pupil": pupil.id, "chosen": chosen}
            return redirect(url_for("auth.picture_code", pupil_id=pupil.id))
    return render_template("auth/picture_code.html", pupil=pupil, chosen=chosen,
                           mark=marks_for([pupil]).get(pupil.id),
                           pictures=service.PICTURES, length=service.PICTURE_CODE_LENGTH,
                           form=form, message=message), (400 if message else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # End the session on the server too: a copy of this cookie no longer signs anyone in.
        current_user.end_sessions()
        db.session.commit()
        logout_user()
        session.clear()
    elif form.validate_on_submit():
        session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/agreement", methods=["GET", "POST"])
@login_required
def agreement() -> ResponseReturnValue:
    agreement = agreement_for(current_user.agreement_key)
    form = EmptyForm()
    if service.has_accepted(current_user):
        return redirect(home_for(current_user))
    if form.validate_on_submit():
        service.accept(current_user)
        db.session.commit()
        flash("Thank you. You are ready to start.", "success")
        return redirect(home_for(current_user))
    return render_template("auth/agreement.html", agreement=agreement, form=form)


@bp.route("/device", methods=["GET", "POST"])
@require("teach")
def device() -> ResponseReturnValue:
    """A teacher turns this device into (or out of) picture sign-in for one class."""
    classes = [c for c in visible_classes(current_user) if c.band == "ks1"] or \
        visible_classes(current_user)
    form = DeviceForm()
    form.school_class.choices = [SelectChoice(c.id, c.name) for c in classes]
    off_form = EmptyForm(prefix="off")
    current = service.device_class(request.cookies.get(service.DEVICE_COOKIE))
    if request.method == "POST" and request.form.get("action") == "off":
        if off_form.validate_on_submit():
            response = make_response(redirect(url_for("auth.device")))
            response.delete_cookie(service.DEVICE_COOKIE)
            flash("Picture sign-in is now off on this device.", "success")
            return response
    elif form.validate_on_submit():
        chosen = next(c for c in classes if c.id == form.school_class.data)
        token, until = service.device_token(chosen)
        response = make_response(redirect(url_for("auth.device")))
        response.set_cookie(
            service.DEVICE_COOKIE, token,
            max_age=int((until - utcnow().date()).days + 1) * 86400,
            httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        flash(f"This device now offers picture sign-in for {chosen.name} until "
              f"{until.strftime('%-d %B %Y')}.", "success")
        return response
    return render_template("auth/device.html", form=form, off_form=off_form, current=current,
                           classes=classes), (400 if form.errors else 200)
