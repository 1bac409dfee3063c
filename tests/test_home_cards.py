"""Home cards: a KS1 pupil signs in with pictures on the family's own device.

The school prints a card (QR code and short code); the code, typed once on a device, turns
on picture sign-in there for that one child until the card expires or is replaced. Wrong
codes are slowed down; a parent or another class's teacher cannot print or see cards.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.auth import marks
from app.db import db, utcnow
from app.models import AdminAudit, HomeCard, Pupil, SchoolClass

from .helpers import sign_in, submit

CODE_RE = re.compile(r"data-home-code>([A-Z0-9]{4}-[A-Z0-9]{4})<")


def robins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == "Year 2 Robins"))


def pupil_id(app, first: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Pupil.id).where(Pupil.first_name == first))


def print_class(app, client) -> dict[str, str]:
    """The teacher prints the class's cards: {pupil short name: code} read off the page."""
    cid = robins(app)
    response = submit(client, f"/home-cards/classes/{cid}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html and "QR code" in html  # the QR code, drawn inline
    names = re.findall(r'class="home-card-name">.*?</svg> ([^<]+)</p>', html, re.S)
    codes = CODE_RE.findall(html)
    assert len(names) == len(codes) == 8
    return dict(zip(names, codes, strict=True))


def print_one(app, client, first: str) -> str:
    response = submit(client, f"/home-cards/pupils/{pupil_id(app, first)}",
                      page=f"/home-cards/classes/{robins(app)}")
    assert response.status_code == 200
    return CODE_RE.findall(response.get_data(as_text=True))[0]


def family_device(app, code: str):
    device = app.test_client()
    response = submit(device, "/home", {"code": code})
    return device, response


def tap(device, pid: int, pictures: list[str]):
    response = None
    for picture in pictures:
        response = submit(device, f"/login/pictures/{pid}", {"picture": picture})
    return response


def test_a_home_card_turns_on_picture_sign_in_for_that_child_only(app, client):
    sign_in(client, "teacher2")
    codes = print_class(app, client)
    device, response = family_device(app, codes["Sam K."].lower().replace("-", " "))
    assert response.status_code == 302 and response.location == "/login/pictures"
    assert "home_device=" in response.headers["Set-Cookie"]
    assert "Max-Age" in response.headers["Set-Cookie"]  # for a limited time, not for ever
    login = device.get("/login").get_data(as_text=True)
    assert "Picture sign-in at home" in login and "For Sam." in login
    names = device.get("/login/pictures").get_data(as_text=True)
    assert "Sam K." in names and "Aisha" not in names and "Alex" not in names
    assert 'class="name-mark"' in names  # a picture beside the name
    # a classmate's page is not offered on this device
    assert device.get(f"/login/pictures/{pupil_id(app, 'Aisha')}").status_code == 404
    assert device.get(f"/login/pictures/{pupil_id(app, 'Alex')}").status_code == 404
    done = tap(device, pupil_id(app, "Sam"), ["cat", "sun", "tree"])
    assert done.status_code == 302 and done.location == "/learn/"
    # the school sees the card in use
    listing = client.get(f"/home-cards/classes/{robins(app)}").get_data(as_text=True)
    assert "On 1 device, last used" in listing
    with app.app_context():
        assert db.session.scalar(select(AdminAudit).where(
            AdminAudit.action == "homecard.issue").limit(1)) is not None
        stored = db.session.scalars(select(HomeCard.code_hash)).all()
        assert all(codes["Sam K."] not in h and len(h) == 64 for h in stored)


def test_the_qr_address_only_fills_the_code_in(app, client):
    sign_in(client, "teacher2")
    code = print_one(app, client, "Sam")
    device = app.test_client()
    page = device.get(f"/home/{code}")
    assert page.status_code == 200
    assert f'value="{code.replace("-", "")}"' in page.get_data(as_text=True)
    assert "home_device" not in page.headers.get("Set-Cookie", "")
    assert device.get("/login/pictures").status_code == 403


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH", "not a code at all", "x" * 21])
def test_a_wrong_code_says_so_kindly_and_turns_nothing_on(app, client, typed):
    device = app.test_client()
    response = submit(device, "/home", {"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "home_device" not in response.headers.get("Set-Cookie", "")
    assert ("does not work" in page or "Type the code" in page or "8 letters" in page)
    assert f'value="{typed}"' in page or not typed  # what was typed is kept
    assert device.get("/login/pictures").status_code == 403


def test_repeated_wrong_codes_are_slowed_down(app, client):
    sign_in(client, "teacher2")
    code = print_one(app, client, "Sam")
    device = app.test_client()
    for _ in range(5):
        assert submit(device, "/home", {"code": "ZZZZ-ZZZZ"}).status_code == 400
    slowed = submit(device, "/home", {"code": code})
    assert slowed.status_code == 400
    assert "Please wait 15 minutes" in slowed.get_data(as_text=True)
    assert device.get("/login/pictures").status_code == 403


def test_a_new_card_revokes_the_old_one_on_every_device(app, client):
    sign_in(client, "teacher2")
    old = print_one(app, client, "Sam")
    device, _ = family_device(app, old)
    assert device.get("/login/pictures").status_code == 200
    new = print_one(app, client, "Sam")
    assert new != old
    assert device.get("/login/pictures").status_code == 403  # the old card stopped working
    assert device.get(f"/login/pictures/{pupil_id(app, 'Sam')}").status_code == 404
    again, refused = family_device(app, old)
    assert refused.status_code == 400 and "does not work" in refused.get_data(as_text=True)
    _, works = family_device(app, new)
    assert works.status_code == 302


def test_a_withdrawn_or_expired_card_stops_working(app, client):
    sign_in(client, "teacher2")
    code = print_one(app, client, "Sam")
    device, _ = family_device(app, code)
    withdrawn = submit(client, f"/home-cards/pupils/{pupil_id(app, 'Sam')}/withdraw",
                       page=f"/home-cards/classes/{robins(app)}", follow=True)
    assert "no longer works on any device" in withdrawn.get_data(as_text=True)
    assert device.get("/login/pictures").status_code == 403
    code = print_one(app, client, "Sam")
    with app.app_context():
        db.session.execute(update(HomeCard).where(HomeCard.revoked_at.is_(None))
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    _, response = family_device(app, code)
    assert response.status_code == 400


def test_two_children_on_one_family_device(app, client):
    sign_in(client, "teacher2")
    codes = print_class(app, client)
    device, _ = family_device(app, codes["Sam K."])
    submit(device, "/home", {"code": codes["Mia T."]})
    names = device.get("/login/pictures").get_data(as_text=True)
    assert "Sam K." in names and "Mia T." in names and "Aisha" not in names


@pytest.mark.parametrize("who,status", [("teacher", 404), ("parent", 403), ("pupil", 403)])
def test_only_the_classes_staff_see_and_print_home_cards(app, client, who, status):
    sign_in(client, who)
    cid = robins(app)
    assert client.get(f"/home-cards/classes/{cid}").status_code == status
    if status == 404:  # a teacher of another class cannot print one either
        assert submit(client, f"/home-cards/pupils/{pupil_id(app, 'Sam')}",
                      page="/teach/").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(HomeCard.id)) is None


def test_a_ks2_class_has_no_home_cards(app, client):
    sign_in(client, "teacher")
    with app.app_context():
        kestrels = db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == "Year 5 Kestrels"))
    assert client.get(f"/home-cards/classes/{kestrels}").status_code == 404


def test_the_admin_prints_home_cards_from_the_pupils_area(app, client):
    sign_in(client, "admin")
    page = client.get(f"/admin/pupils/{pupil_id(app, 'Sam')}").get_data(as_text=True)
    assert "Home card" in page
    code = print_one(app, client, "Sam")
    _, response = family_device(app, code)
    assert response.status_code == 302


def test_every_child_in_a_class_has_their_own_mark():
    ids = list(range(1, 41))
    got = marks.assign(ids)
    assert len({m.label for m in got.values()}) == 40  # no two alike
    assert marks.assign(ids) == got  # the same every time
    assert marks.assign([*ids, 99])[5] == got[5]  # a newcomer takes nobody's mark
    pictures = {"cat", "dog", "fish", "star", "sun", "moon", "apple", "tree", "car", "house",
                "ball", "flower"}
    assert not pictures & {m.shape for m in got.values()}  # never a sign-in picture


def test_the_class_device_and_the_teachers_cards_show_the_same_mark(app, client):
    from .test_auth import enable_device

    device = enable_device(app)
    names = device.get("/login/pictures").get_data(as_text=True)
    marks_on_device = dict(re.findall(
        r'data-mark="([a-z]+ [a-z]+)"><svg.*?<span>([^<]+)</span>', names))
    assert len(marks_on_device) == 8 and len(set(marks_on_device.values())) == 8
    sign_in(client, "teacher2")
    cards = client.get(f"/staff/classes/{robins(app)}/pictures").get_data(as_text=True)
    for label, name in marks_on_device.items():
        assert re.search(rf"{re.escape(name)} <span class=\"hint\">\({label} beside", cards)


def test_a_forged_device_cookie_or_a_pupil_who_left_turns_nothing_on(app, client):
    sign_in(client, "teacher2")
    code = print_one(app, client, "Sam")
    device, _ = family_device(app, code)
    forged = app.test_client()
    forged.set_cookie("home_device", "eyJjIjpbMSwyLDNdfQ.forged")
    assert forged.get("/login/pictures").status_code == 403
    assert "not turned on" in forged.get(f"/login/pictures/{pupil_id(app, 'Sam')}").get_data(
        as_text=True)
    with app.app_context():
        db.session.execute(update(Pupil).where(Pupil.first_name == "Sam")
                           .values(status="left"))
        db.session.commit()
    assert device.get("/login/pictures").status_code == 403
    assert device.get(f"/login/pictures/{pupil_id(app, 'Sam')}").status_code == 404
