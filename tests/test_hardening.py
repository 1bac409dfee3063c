"""Issue 11: sign-in that cannot be turned against someone, sessions that really end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import service
from app.db import db, utcnow
from app.models import Pupil, Throttle, User

from .helpers import PASSWORDS, sign_in, submit
from .test_auth import enable_device, sam, tap


def fail(client, username: str, times: int = 1, password: str = "not-the-password"):
    response = None
    for _ in range(times):
        response = submit(client, "/login", {"username": username, "password": password})
        assert response.status_code == 400
    return response


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


# --- 1. nobody can lock someone else out ---------------------------------------------------


def test_a_stranger_failing_ten_times_cannot_stop_the_lead_on_her_own_device(app):
    lead = app.test_client()
    sign_in(lead, "dsl")  # the lead's office PC: now a known device for her account
    submit(lead, "/logout", page="/staff/")
    stranger = app.test_client()
    fail(stranger, "dsl", times=10)
    # the guesser is paused: even the right password does not get in from there
    refused = fail(stranger, "dsl", password=PASSWORDS["dsl"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)
    # the lead, on her own device, signs in as usual
    sign_in(lead, "dsl")
    assert lead.get("/safeguarding/").status_code == 200


def test_a_known_device_is_paused_only_for_itself_and_says_so(app):
    own = app.test_client()
    sign_in(own, "teacher")
    submit(own, "/logout", page="/staff/")
    last = fail(own, "teacher", times=app.config["LOCKOUT_THRESHOLD"])
    assert "paused on this device for 15 minutes" in last.get_data(as_text=True)
    assert fail(own, "teacher", password=PASSWORDS["teacher"]).status_code == 400
    # the account is not paused anywhere else
    sign_in(app.test_client(), "teacher")


def test_a_guesser_trying_many_accounts_from_one_client_is_slowed(make_app):
    app = make_app(CLIENT_THRESHOLD=8)
    own = app.test_client()
    sign_in(own, "teacher")
    submit(own, "/logout", page="/staff/")
    guesser = app.test_client()
    for n in range(8):
        fail(guesser, f"guess{n}")
    refused = fail(guesser, "teacher", password=PASSWORDS["teacher"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)
    # the teacher's own device, on the same network address, carries on
    sign_in(own, "teacher")
    # and another client elsewhere is not slowed
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    sign_in(elsewhere, "pupil")
    with app.app_context():
        row = db.session.get(Throttle, "login:client:127.0.0.1")
        assert row.blocked_until > utcnow()


def test_the_account_pause_for_strangers_ends_and_a_teacher_can_lift_it(app):
    stranger = app.test_client()
    fail(stranger, "pupil", times=app.config["LOCKOUT_THRESHOLD"])
    new_device = app.test_client()
    fail(new_device, "pupil", password=PASSWORDS["pupil"])  # unknown client: still paused
    with app.app_context():
        user = db.session.get(User, user_id(app, "pupil"))
        assert user.locked_until > utcnow() + timedelta(minutes=14)
        service.unlock(user)
        db.session.commit()
    sign_in(new_device, "pupil")


def test_a_classmate_cannot_lock_a_pupil_out_of_picture_sign_in(app):
    device = enable_device(app)
    pupil = sam(app)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        last = tap(device, pupil.id, ["dog", "dog", "dog"])
    assert service.PICTURES_PAUSED in last.get_data(as_text=True)
    assert service.PICTURES_PAUSED in tap(device, pupil.id, ["cat", "sun", "tree"]).get_data(
        as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Throttle).where(
            Throttle.key.startswith(f"pics:{pupil.id}:"))).all()
        assert len(rows) == 1  # this pupil on this device: nothing on the account itself
        pause = rows[0].blocked_until - utcnow()
        assert timedelta(0) < pause <= timedelta(minutes=app.config["PICTURE_PAUSE_MINUTES"])
        assert db.session.get(Pupil, pupil.id).user.locked_until is None
    # on another class device Sam signs in at once
    other = enable_device(app)
    assert tap(other, pupil.id, ["cat", "sun", "tree"]).location == "/learn/"
    # and the teacher lifts the pause on the first device
    with app.app_context():
        service.unlock(db.session.get(Pupil, pupil.id).user)
        db.session.commit()
    assert tap(device, pupil.id, ["cat", "sun", "tree"]).location == "/learn/"


def test_a_forged_known_device_cookie_counts_for_nothing(app):
    stranger = app.test_client()
    stranger.set_cookie(service.KNOWN_DEVICE_COOKIE, '{"d": "x", "u": [1, 2, 3, 4, 5, 6]}')
    fail(stranger, "dsl", times=app.config["LOCKOUT_THRESHOLD"])
    refused = fail(stranger, "dsl", password=PASSWORDS["dsl"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)


def test_the_known_device_cookie_is_signed_http_only_and_remembers_several_accounts(app):
    shared = app.test_client()
    response = submit(shared, "/login", {"username": "pupil", "password": PASSWORDS["pupil"]})
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith(service.KNOWN_DEVICE_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    submit(shared, "/logout", page="/agreement")
    sign_in(shared, "teacher")
    with app.test_request_context():
        device = service.known_device(shared.get_cookie(service.KNOWN_DEVICE_COOKIE).value)
        assert device.user_ids == (user_id(app, "pupil"), user_id(app, "teacher"))


def test_reset_gives_a_first_time_password_and_ends_sessions(app):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    with app.app_context():
        user = db.session.get(User, user_id(app, "pupil"))
        user.locked_until = utcnow() + timedelta(minutes=5)
        password = service.reset(user)
        db.session.commit()
        assert user.must_change_password and user.pupil.card_password == password
    assert pupil.get("/learn/").status_code == 302  # the open session ended
    fresh = app.test_client()
    response = submit(fresh, "/login", {"username": "pupil", "password": password})
    assert response.status_code == 302
    assert fresh.get("/learn/").location.endswith("/password/new")


# --- 2. no account enumeration -------------------------------------------------------------


def _pause_pupil(app):
    fail(app.test_client(), "pupil", times=app.config["LOCKOUT_THRESHOLD"])
    return "pupil", PASSWORDS["pupil"]


@pytest.mark.parametrize("case", ["wrong password", "unknown username", "paused account"])
def test_the_same_answer_and_the_same_work_whatever_was_wrong(app, monkeypatch, case):
    username, password = {
        "wrong password": lambda: ("pupil", "wrong-password"),
        "unknown username": lambda: ("nobody-at-all", "wrong-password"),
        "paused account": lambda: _pause_pupil(app),
    }[case]()
    hashes = []
    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash",
                        lambda h, p: hashes.append(h) or real(h, p))
    response = fail(app.test_client(), username, password=password)
    assert len(hashes) == 1  # one slow hash in every case
    html = response.get_data(as_text=True)
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    reference = fail(app.test_client(), "someone-else", password="x").get_data(as_text=True)
    assert html == re.sub(r'value="[^"]*"', 'value=""', reference)
    assert service.WRONG_DETAILS in html
