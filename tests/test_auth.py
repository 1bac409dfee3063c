"""Every way in: passwords, pictures on an enabled device, lockout, left pupils, agreements."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth import service
from app.auth.agreements import agreement_for
from app.db import db, utcnow
from app.demo import DEMO_TOTP_SECRETS
from app.models import AgreementAcceptance, Pupil, SchoolClass, User

from .helpers import (
    PASSWORDS,
    csrf_from,
    home_of,
    real_page,
    redirected,
    sign_in,
    submit,
    two_step,
)

HOMES = {"pupil": "/learn/", "parent": "/family/"}  # everyone else: /staff/


@pytest.mark.parametrize("username", sorted(PASSWORDS))
def test_each_demo_account_signs_in_accepts_its_agreement_and_reaches_home(app, client,
                                                                           username):
    response = submit(client, "/login", {"username": username, "password": PASSWORDS[username]})
    redirected(response, home_of(username, two_step=True))
    home = HOMES.get(username, "/staff/")
    if username in DEMO_TOTP_SECRETS:  # the password alone opens nothing (tests/test_totp.py)
        assert response.location.endswith("/login/two-step")
        assert client.get("/staff/").location.endswith("/login?next=%2Fstaff%2F")
        redirected(two_step(client, username, response), '/staff/')
    # nothing opens before the agreement is accepted
    for url in ("/", home, "/learn/", "/staff/", "/family/"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.location.endswith("/agreement")
    page = client.get("/agreement").get_data(as_text=True)
    expected = {"pupil": "Our agreement for using the internet", "parent": "Parent and carer"}
    assert expected.get(username, "Staff acceptable use agreement") in page
    before = utcnow()
    accepted = submit(client, "/agreement")
    assert accepted.location.endswith(home)
    real_page(client.get(home))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        row = db.session.scalar(select(AgreementAcceptance).where(
            AgreementAcceptance.user_id == user.id))
        assert row.agreement == user.agreement_key
        assert row.version == agreement_for(user.agreement_key).version
        assert row.accepted_at >= before - timedelta(seconds=1)
        assert user.last_login_at is not None


@pytest.mark.parametrize("username,password", [
    ("pupil", "wrong-password"),
    ("nobody-here", "demo-pupil-pass"),
    ("PUPIL ", "wrong"),
])
def test_wrong_details_get_one_message_that_does_not_say_which(client, username, password):
    response = submit(client, "/login", {"username": username, "password": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert service.WRONG_DETAILS in html
    typed = re.search(r'<input[^>]*name="username"[^>]*value="([^"]*)"', html)
    assert typed and typed.group(1) == username  # what was typed stays


def test_empty_fields_are_named_and_kept(client):
    response = submit(client, "/login", {"username": "alex", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Type your password." in html and 'value="alex"' in html


def test_username_is_case_insensitive(client):
    response = submit(client, "/login", {"username": " Pupil", "password": "demo-pupil-pass"})
    redirected(response, '/learn/')


def test_lockout_after_repeated_failures_only_for_that_account(app, client):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        submit(client, "/login", {"username": "pupil", "password": "nope"})
    locked = submit(client, "/login", {"username": "pupil", "password": "demo-pupil-pass"})
    assert locked.status_code == 400
    # seen from a client that never signed in as this pupil: the same words as a wrong
    # password (tests/test_hardening.py: no enumeration, and the pupil's own device works)
    assert service.WRONG_DETAILS in locked.get_data(as_text=True)
    # another pupil on the same network (same client, same address) is not affected
    other = submit(client, "/login", {"username": "teacher", "password": "demo-teacher-pass"})
    redirected(other, '/staff/')
    # after the lock time the right password works again
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "pupil"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    fresh = app.test_client()
    redirected(submit(fresh, "/login", {"username": "pupil",
                                        "password": "demo-pupil-pass"}), '/learn/')


def test_a_pupil_who_has_left_cannot_sign_in_and_is_signed_out(app, client):
    sign_in(client, "pupil")
    real_page(client.get("/learn/"))
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        pupil.status = "left"
        db.session.commit()
    redirected(client.get("/learn/"), '/login?next=%<id>Flearn%<id>F')
    response = submit(app.test_client(), "/login",
                      {"username": "pupil", "password": "demo-pupil-pass"})
    assert response.status_code == 400
    assert service.WRONG_DETAILS in response.get_data(as_text=True)


def test_disabled_staff_account_cannot_sign_in(app, client):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "teacher"))
        user.enabled = False
        db.session.commit()
    response = submit(client, "/login", {"username": "teacher", "password": "demo-teacher-pass"})
    assert response.status_code == 400


def test_next_parameter_only_allows_local_paths(client):
    html = client.get("/login").get_data(as_text=True)
    r = client.post("/login?next=//evil.example/x", data={
        "csrf_token": csrf_from(html), "username": "pupil", "password": "demo-pupil-pass"})
    assert r.location == "/learn/"


def test_form_without_csrf_token_is_refused(client):
    r = client.post("/login", data={"username": "pupil", "password": "demo-pupil-pass"})
    assert r.status_code == 400 and "Please try that again" in r.get_data(as_text=True)


# --- picture sign-in ----------------------------------------------------------------------


def enable_device(app, class_name: str = "Year 2 Robins"):
    """teacher2 turns on picture sign-in on a device and hands it over (signs out)."""
    device = app.test_client()
    sign_in(device, "teacher2")
    with app.app_context():
        cid = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == class_name))
    response = submit(device, "/device", {"school_class": str(cid)})
    redirected(response, '/device')
    assert "picture_device" in response.headers["Set-Cookie"]
    submit(device, "/logout", page="/staff/")
    return device


def sam(app) -> Pupil:
    with app.app_context():
        return db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))


def tap(device, pupil_id: int, pictures: list[str]):
    url = f"/login/pictures/{pupil_id}"
    response = None
    for picture in pictures:
        response = submit(device, url, {"picture": picture})
    return response


def test_picture_sign_in_needs_an_enabled_device(app, client):
    assert client.get("/login/pictures").status_code == 403
    assert "not turned on" in client.get(f"/login/pictures/{sam(app).id}").get_data(
        as_text=True)
    client.set_cookie("picture_device", "forged-value")
    assert client.get("/login/pictures").status_code == 403


def test_sam_signs_in_with_three_pictures(app):
    device = enable_device(app)
    login_page = device.get("/login").get_data(as_text=True)
    assert "Picture sign-in" in login_page and "Year 2 Robins" in login_page
    names = device.get("/login/pictures").get_data(as_text=True)
    assert "Sam K." in names and "Alex" not in names  # only that class
    pupil = sam(app)
    assert pupil.picture_code == "cat,sun,tree"
    page = tap(device, pupil.id, ["cat", "sun"])
    redirected(page, '/login/pictures/<id>')
    dots = device.get(f"/login/pictures/{pupil.id}").get_data(as_text=True)
    assert "2 of 3 pictures chosen" in dots
    done = submit(device, f"/login/pictures/{pupil.id}", {"picture": "tree"})
    assert done.status_code == 302 and done.location == "/learn/"
    assert device.get("/learn/").location.endswith("/agreement")
    assert "My promise for being online" in device.get("/agreement").get_data(as_text=True)


def test_wrong_pictures_then_lockout_only_for_that_pupil(app):
    device = enable_device(app)
    pupil = sam(app)
    wrong = tap(device, pupil.id, ["dog", "sun", "tree"])
    assert wrong.status_code == 400
    assert "Those pictures are not right" in wrong.get_data(as_text=True)
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        last = tap(device, pupil.id, ["dog", "dog", "dog"])
    assert "Too many tries" in last.get_data(as_text=True)
    still_locked = tap(device, pupil.id, ["cat", "sun", "tree"])
    assert "Too many tries" in still_locked.get_data(as_text=True)
    with app.app_context():
        other = db.session.scalar(select(Pupil).where(Pupil.first_name == "Aisha"))
        code = other.picture_code.split(",")
        other_id = other.id
    ok = tap(device, other_id, code)
    assert ok.status_code == 302 and ok.location == "/learn/"


def test_start_again_clears_chosen_pictures(app):
    device = enable_device(app)
    pupil = sam(app)
    tap(device, pupil.id, ["dog"])
    submit(device, f"/login/pictures/{pupil.id}", {"action": "restart"})
    response = tap(device, pupil.id, ["cat", "sun", "tree"])
    assert response.status_code == 302 and response.location == "/learn/"


def test_left_pupil_is_not_offered_and_cannot_use_pictures(app):
    device = enable_device(app)
    pupil = sam(app)
    with app.app_context():
        db.session.get(Pupil, pupil.id).status = "left"
        db.session.commit()
    assert "Sam K." not in device.get("/login/pictures").get_data(as_text=True)
    assert device.get(f"/login/pictures/{pupil.id}").status_code == 404


def test_device_for_one_class_cannot_sign_in_a_pupil_of_another(app):
    device = enable_device(app)
    with app.app_context():
        alex = db.session.scalar(select(Pupil).where(Pupil.first_name == "Alex"))
    assert device.get(f"/login/pictures/{alex.id}").status_code == 404


def test_device_cookie_lasts_until_end_of_term_and_can_be_turned_off(app):
    device = app.test_client()
    sign_in(device, "teacher2")
    with app.app_context():
        cid = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == "Year 2 Robins"))
    response = submit(device, "/device", {"school_class": str(cid)})
    assert "Max-Age=" in response.headers["Set-Cookie"]
    page = device.get("/device").get_data(as_text=True)
    assert "offers picture sign-in for <strong>Year 2 Robins</strong>" in page
    off = submit(device, "/device", {"action": "off"}, page="/device")
    assert "picture_device=;" in off.headers["Set-Cookie"]


def test_teacher_cannot_enable_a_class_they_do_not_teach(app):
    device = app.test_client()
    sign_in(device, "teacher2")
    with app.app_context():
        cid = db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == "Year 5 Kestrels"))
    response = submit(device, "/device", {"school_class": str(cid)})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(
        as_text=True)


@pytest.mark.parametrize("today,expected", [
    (date(2026, 11, 22), date(2026, 12, 20)),
    (date(2026, 12, 20), date(2026, 12, 20)),
    (date(2026, 12, 21), date(2027, 4, 3)),
    (date(2027, 5, 1), date(2027, 7, 23)),
    (date(2027, 8, 1), date(2027, 12, 20)),
])
def test_term_end(today, expected):
    assert service.term_end(today, ("12-20", "04-03", "07-23")) == expected


def test_expired_device_token_is_refused(app):
    with app.test_request_context():
        school_class = db.session.scalar(select(SchoolClass))
        token, until = service.device_token(school_class, today=date(2026, 1, 5))
        assert service.device_class(token, today=date(2026, 1, 5)) is not None
        assert service.device_class(token, today=until + timedelta(days=1)) is None


def test_new_picture_codes_use_three_different_pictures():
    for _ in range(50):
        code = service.new_picture_code().split(",")
        assert len(set(code)) == 3 and set(code) <= set(service.PICTURES)


def test_passwords_are_stored_with_a_slow_standard_hash(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert "demo-admin-pass" not in user.password_hash


def test_sign_out(client):
    sign_in(client, "pupil")
    submit(client, "/logout", page="/learn/")
    redirected(client.get("/learn/"), '/login?next=%<id>Flearn%<id>F')


def test_teacher_sees_and_renews_sign_in_pictures_for_own_class_only(app):
    teacher2 = app.test_client()
    sign_in(teacher2, "teacher2")
    pupil = sam(app)
    url = f"/staff/classes/{pupil.class_id}/pictures"
    page = teacher2.get(url).get_data(as_text=True)
    card = page[page.index("Sam K."):]
    card = card[:card.index("</li>\n  <li") if "</li>\n  <li" in card else len(card)]
    pictures = re.findall(r"img/pictures/(\w+)\.svg", card)
    assert pictures[:3] == ["cat", "sun", "tree"]
    other = app.test_client()
    sign_in(other, "teacher")  # Year 5 teacher
    assert other.get(url).status_code == 404
    assert submit(other, f"{url}/{pupil.id}", page="/staff/").status_code == 404
    # a locked pupil gets new pictures and is unlocked
    with app.app_context():
        user = db.session.get(Pupil, pupil.id).user
        user.locked_until = utcnow() + timedelta(minutes=10)
        db.session.commit()
    renewed = submit(teacher2, f"{url}/{pupil.id}", page=url)
    redirected(renewed, '/staff/classes/<id>/pictures')
    with app.app_context():
        fresh = db.session.get(Pupil, pupil.id)
        assert fresh.picture_code != "cat,sun,tree" and fresh.user.locked_until is None
        code = fresh.picture_code.split(",")
    device = enable_device(app)
    assert tap(device, pupil.id, code).location == "/learn/"
