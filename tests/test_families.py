"""Family link codes: a letter home, a carer's account, several children and carers, unlinking,
used, expired and withdrawn codes, and guessing slowed down."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import db, utcnow
from app.models import FamilyLinkCode, ParentLink, Pupil, User

from .helpers import csrf_from, redirected, sign_in, submit


def pupil_id(app, first_name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Pupil.id).where(Pupil.first_name == first_name))


def letter_code(client, first_name_id: int) -> str:
    page = submit(client, f"/admin/pupils/{first_name_id}/family-letter", page="/admin/families")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "shown only on this page" in html
    return re.search(r'class="code">([A-Z0-9-]+)<', html).group(1)


def join(client, code: str, username: str = "carer1", **extra):
    return submit(client, "/join/", {"code": code, "display_name": "Sam's carer",
                                     "username": username, "password": "kettle-garden-9",
                                     "confirm": "kettle-garden-9", **extra})


def test_a_carer_creates_an_account_with_the_code_and_sees_only_their_child(app, client):
    sign_in(client, "admin")
    sam = pupil_id(app, "Sam")
    code = letter_code(client, sam)
    with app.app_context():
        row = db.session.scalar(select(FamilyLinkCode))
        assert code.replace("-", "") not in row.code_hash, "only a hash of the code is kept"
    carer = app.test_client()
    response = join(carer, code.lower().replace("-", " "))  # typed loosely: still works
    assert response.status_code == 302 and response.location.endswith("/family/")
    submit(carer, "/agreement")
    home = carer.get("/family/").get_data(as_text=True)
    assert "Sam K." in home and "Alex P." not in home
    # The code is used up.
    second = join(app.test_client(), code, username="carer2")
    assert second.status_code == 400
    assert "That code does not work" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(
            User.username == "carer2")) == 0
    families = client.get("/admin/families").get_data(as_text=True)
    assert "Sam&#39;s carer" in families


def test_one_parent_several_children_and_one_child_several_carers(app, client):
    sign_in(client, "admin")
    alex, sam = pupil_id(app, "Alex"), pupil_id(app, "Sam")
    parent = app.test_client()
    sign_in(parent, "parent")  # already linked to Alex
    page = submit(parent, "/join/", {"code": letter_code(client, sam)})
    redirected(page, '/family/')
    home = parent.get("/family/").get_data(as_text=True)
    assert "Alex P." in home and "Sam K." in home
    # A second carer for Alex.
    other = app.test_client()
    redirected(join(other, letter_code(client, alex), username="alexdad"), '/family/')
    with app.app_context():
        assert db.session.scalar(select(func.count(ParentLink.id)).where(
            ParentLink.pupil_id == alex)) == 2
    # Already linked: a clear message and the code is not used up.
    code = letter_code(client, alex)
    again = submit(parent, "/join/", {"code": code})
    assert "already linked to Alex" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FamilyLinkCode.used_at).where(
            FamilyLinkCode.revoked_at.is_(None), FamilyLinkCode.used_at.is_(None),
            FamilyLinkCode.pupil_id == alex)) is None


def test_a_new_letter_or_withdrawing_stops_the_old_code(app, client):
    sign_in(client, "admin")
    sam = pupil_id(app, "Sam")
    old = letter_code(client, sam)
    new = letter_code(client, sam)
    assert old != new
    assert join(app.test_client(), old).status_code == 400
    submit(client, f"/admin/pupils/{sam}/family-letter/withdraw", page="/admin/families")
    assert join(app.test_client(), new).status_code == 400
    fresh = letter_code(client, sam)
    redirected(join(app.test_client(), fresh), '/family/')


def test_an_expired_code_and_a_code_for_a_pupil_who_left(app, client):
    sign_in(client, "admin")
    sam, mia = pupil_id(app, "Sam"), pupil_id(app, "Mia")
    code = letter_code(client, sam)
    with app.app_context():
        row = db.session.scalar(select(FamilyLinkCode).where(FamilyLinkCode.pupil_id == sam))
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "That code does not work" in join(app.test_client(), code).get_data(as_text=True)
    mia_code = letter_code(client, mia)
    with app.app_context():
        db.session.get(Pupil, mia).status = "left"
        db.session.commit()
    assert join(app.test_client(), mia_code, username="miacarer").status_code == 400


def test_repeated_wrong_codes_are_slowed_down(app, client):
    sign_in(client, "admin")
    good = letter_code(client, pupil_id(app, "Sam"))
    guesser = app.test_client()
    for _ in range(5):
        assert join(guesser, "AAAAA-BBBBB").status_code == 400
    slowed = join(guesser, good)
    assert "Too many codes that did not work" in slowed.get_data(as_text=True)
    # A signed-in parent is counted on their own account too.
    parent = app.test_client()
    sign_in(parent, "parent")
    for _ in range(5):
        submit(parent, "/join/", {"code": "ZZZZZ-ZZZZZ"})
    assert "Too many codes" in submit(parent, "/join/", {"code": good}).get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"username": "teacher"}, "That username is taken"),
    ({"password": "short", "confirm": "short"}, "at least 8 characters"),
    ({"confirm": "different"}, "not the same"),
    ({"code": ""}, "Type the code from the letter."),
])
def test_bad_join_details_keep_the_code_unused(app, client, data, message):
    sign_in(client, "admin")
    code = letter_code(client, pupil_id(app, "Sam"))
    response = join(app.test_client(), **{"code": code, **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FamilyLinkCode.used_at)) is None


def test_unlinking_stops_a_carer_seeing_the_child(app, client):
    parent = app.test_client()
    sign_in(parent, "parent")
    sign_in(client, "admin")
    with app.app_context():
        link_id = db.session.scalar(select(ParentLink.id))
    page = client.get("/admin/families").get_data(as_text=True)
    assert "Unlink Jo P (Alex&#39;s parent)" in page
    response = client.post(f"/admin/family-links/{link_id}/unlink",
                           data={"csrf_token": csrf_from(page)})
    redirected(response, '/admin/families?class_id=<id>')
    assert "Alex P." not in parent.get("/family/").get_data(as_text=True)


def test_class_letters_and_who_may_use_the_join_page(app, client):
    sign_in(client, "admin")
    with app.app_context():
        y2 = db.session.scalar(select(Pupil.class_id).where(Pupil.first_name == "Sam"))
    page = submit(client, f"/admin/classes/{y2}/family-letters",
                  page=f"/admin/families?class_id={y2}")
    assert page.get_data(as_text=True).count('class="letter family-letter"') == 8
    for role in ("teacher", "pupil", "dsl"):
        c = app.test_client()
        sign_in(c, role)
        assert c.get("/join/").status_code == 403
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    assert teacher.get("/admin/families").status_code == 403
