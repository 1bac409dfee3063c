"""Issue 11 item 3: two-step sign-in for leads, deputies and admins (and teachers if asked)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.auth import twostep
from app.auth.service import hash_password
from app.db import db
from app.demo import DEMO_TOTP_SECRETS
from app.models import RecoveryCode, School, StaffRole, User

from .helpers import PASSWORDS, SECRET_RE, real_page, redirected, sign_in, submit

DSL_TOTP = pyotp.TOTP(DEMO_TOTP_SECRETS["dsl"])


def password_step(client, username: str, password: str | None = None):
    response = submit(client, "/login", {"username": username,
                                         "password": password or PASSWORDS[username]})
    assert response.status_code == 302 and response.location.endswith("/login/two-step")
    return response


def code_now(totp: pyotp.TOTP, offset: int = 0) -> str:
    return totp.at(time.time() + offset * 30)


def test_the_lead_needs_the_code_from_her_app_and_a_code_works_once(app):
    client = app.test_client()
    password_step(client, "dsl")
    assert client.get("/safeguarding/").location.startswith("/login")  # not signed in yet
    wrong = submit(client, "/login/two-step", {"code": "000000"
                                               if code_now(DSL_TOTP) != "000000" else "111111"})
    assert wrong.status_code == 400 and twostep.WRONG_CODE in wrong.get_data(as_text=True)
    code = code_now(DSL_TOTP)
    done = submit(client, "/login/two-step", {"code": code})
    assert done.status_code == 302 and done.location == "/staff/"
    submit(client, "/agreement")
    real_page(client.get("/safeguarding/"))
    # the same code seen over her shoulder does not work again, anywhere
    other = app.test_client()
    password_step(other, "dsl")
    replay = submit(other, "/login/two-step", {"code": code})
    assert replay.status_code == 400
    # the next code does
    redirected(submit(other, "/login/two-step", {"code": code_now(DSL_TOTP, 1)}), '/staff/')


def test_wrong_codes_pause_the_second_step(app):
    client = app.test_client()
    password_step(client, "dsl")
    good = {code_now(DSL_TOTP, n) for n in (-1, 0, 1)}
    wrong = next(c for c in ("123456", "654321", "111111", "222222") if c not in good)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        last = submit(client, "/login/two-step", {"code": wrong})
    assert twostep.PAUSED in last.get_data(as_text=True)
    paused = submit(client, "/login/two-step", {"code": code_now(DSL_TOTP)})
    assert paused.status_code == 400 and twostep.PAUSED in paused.get_data(as_text=True)


def test_the_half_signed_in_state_expires(app):
    client = app.test_client()
    password_step(client, "dsl")
    with client.session_transaction() as sess:
        sess["twostep"] = {**sess["twostep"], "at": sess["twostep"]["at"] - 301}
    assert client.get("/login/two-step").location == "/login"


def _new_staff(app, username: str, role: str) -> None:
    with app.app_context():
        school = db.session.scalar(select(School))
        user = User(school_id=school.id, kind="staff", username=username,
                    password_hash=hash_password("a-long-staff-password"), display_name="Mr D")
        db.session.add(user)
        db.session.flush()
        db.session.add(StaffRole(user_id=user.id, role=role))
        db.session.commit()


def test_a_new_deputy_sets_it_up_with_a_qr_code_and_gets_ten_recovery_codes(app):
    _new_staff(app, "deputy", "deputy_lead")
    client = app.test_client()
    password_step(client, "deputy", "a-long-staff-password")
    setup = client.get("/login/two-step")
    assert setup.location.endswith("/login/two-step/setup")
    page = client.get("/login/two-step/setup").get_data(as_text=True)
    assert '<svg width=' in page and "QR code for your app" in page  # drawn inline, no fetch
    assert "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    assert client.get("/login/two-step/setup").get_data(as_text=True).count(
        SECRET_RE.search(page).group(1)) == 1  # the same key on a reload
    refused = submit(client, "/login/two-step/setup", {"code": "12345"})
    assert refused.status_code == 400
    totp = pyotp.TOTP(secret)
    shown = submit(client, "/login/two-step/setup", {"code": code_now(totp)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    submit(client, "/agreement")
    assert client.get("/safeguarding/").status_code == 200  # signed in
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "deputy"))
        assert user.totp_secret == secret
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes
    # a recovery code signs in once instead of the app's code
    for expected in (302, 400):
        again = app.test_client()
        password_step(again, "deputy", "a-long-staff-password")
        assert submit(again, "/login/two-step", {"code": codes[3].upper()}).status_code == \
            expected


def test_teachers_are_asked_only_where_the_school_chooses(app):
    plain = app.test_client()
    assert submit(plain, "/login", {"username": "teacher",
                                    "password": PASSWORDS["teacher"]}).location == "/staff/"
    with app.app_context():
        db.session.scalar(select(School)).two_step_for_teachers = True
        db.session.commit()
    asked = submit(app.test_client(), "/login", {"username": "teacher",
                                                 "password": PASSWORDS["teacher"]})
    assert asked.location.endswith("/login/two-step")


def test_not_required_when_turned_off_and_turn_off_resets_a_lost_phone(make_app):
    app = make_app(TWO_STEP_REQUIRED=False)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "dsl"))
        assert twostep.asked_of(user)  # set up already: still asked
        twostep.turn_off(user)
        db.session.commit()
        assert not twostep.asked_of(user)
    assert submit(app.test_client(), "/login", {
        "username": "dsl", "password": PASSWORDS["dsl"]}).location == "/staff/"


@pytest.mark.parametrize("url", ["/file", "/file.csv"])
def test_exporting_a_childs_file_asks_who_you_are_again(app, url):
    client = app.test_client()
    sign_in(client, "dsl")
    with app.app_context():
        from app.models import Pupil
        pupil_id = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Alex"))
    target = f"/safeguarding/pupils/{pupil_id}{url}"
    assert client.get(target).status_code == 200  # a fresh sign-in counts
    with client.session_transaction() as sess:
        sess["reauth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    asked = client.get(target)
    assert asked.status_code == 302 and asked.location.startswith("/reauth?next=")
    page = client.get(asked.location)
    assert "Confirm it is you" in page.get_data(as_text=True)
    wrong = submit(client, asked.location, {"password": "nope", "code": "000000"})
    assert wrong.status_code == 400
    no_code = submit(client, asked.location, {"password": PASSWORDS["dsl"], "code": ""})
    assert no_code.status_code == 400
    ok = submit(client, asked.location, {"password": PASSWORDS["dsl"],
                                         "code": code_now(DSL_TOTP, 1)})
    assert ok.status_code == 302 and ok.location == target
    download = client.get(target)
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"


def test_seed_demo_prints_the_demo_secrets(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    for username, secret in DEMO_TOTP_SECRETS.items():
        assert f"{username}: {secret}" in result.output


def test_a_lead_makes_new_recovery_codes_after_confirming_who_she_is(app):
    client = app.test_client()
    sign_in(client, "dsl")
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "<strong>10</strong> of 10" in page or "<strong>0</strong> of 10" in page
    with client.session_transaction() as sess:
        sess["reauth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    asked = submit(client, "/account/two-step")
    assert asked.location.startswith("/reauth?next=")
    submit(client, asked.location, {"password": PASSWORDS["dsl"],
                                    "code": code_now(DSL_TOTP, 1)})
    made = submit(client, "/account/two-step")
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", made.get_data(as_text=True))
    assert len(codes) == 10
    assert "<strong>10</strong> of 10" in client.get("/account/two-step").get_data(as_text=True)
    assert client.get("/account/two-step").headers["Cache-Control"] == "no-store"
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    assert teacher.get("/account/two-step").status_code == 404
