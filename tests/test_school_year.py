"""The new school year on one screen: preview, edits, confirm, Year 2 into KS2, Year 6 leaves."""

from __future__ import annotations

from sqlalchemy import func, select

from app.admin.year import next_name
from app.db import db
from app.models import ClassTeacher, LessonProgress, Pupil, School, SchoolClass, User

from .helpers import csrf_from, redirected, sign_in, submit


def add_year6(app) -> int:
    """A Year 6 class with two pupils, so the rollover has leavers."""
    from app.admin.pupils import NewPupil, add_pupil

    with app.app_context():
        school = db.session.scalar(select(School))
        c = SchoolClass(school_id=school.id, name="Year 6 Eagles", year_group=6)
        db.session.add(c)
        db.session.flush()
        for first in ("Tom", "Ivy"):
            add_pupil(school, None, c, NewPupil(first, "Leaver", 6))
        db.session.commit()
        return c.id


def test_next_names():
    assert next_name("Year 2 Robins", 2) == "Year 3 Robins"
    assert next_name("Y4 Owls", 4) == "Y5 Owls"
    assert next_name("Kestrels", 5) == "Kestrels"
    assert next_name("Year 6 Eagles", 6) == "Year 6 Eagles"


def test_preview_changes_nothing_then_confirm_moves_everyone_up(app, client):
    y6 = add_year6(app)
    with app.app_context():
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
        db.session.add(LessonProgress(school_id=sam.school_id, pupil_id=sam.id,
                                      lesson_slug="fixture-tell", current="done"))
        db.session.commit()
        sam_id, y2 = sam.id, sam.class_id
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name ==
                                                            "Year 5 Kestrels"))
        teacher2 = db.session.scalar(select(User.id).where(User.username == "teacher2"))
    sign_in(client, "admin")
    page = client.get("/admin/year").get_data(as_text=True)
    assert 'value="Year 3 Robins"' in page and 'value="Year 6 Kestrels"' in page
    assert "2 leave the school" in page and "8 start KS2" in page
    assert "Confirm" not in page  # check first
    checked = submit(client, "/admin/year", {
        "action": "check", f"name-{y2}": "Year 3 Robins", f"name-{y5}": "Year 6 Kestrels",
        f"teachers-{y2}": [str(teacher2)], f"name-{y6}": "Year 6 Eagles"},
        page="/admin/year")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Confirm: move into" in html
    with app.app_context():
        assert db.session.get(SchoolClass, y2).year_group == 2, "the preview wrote nothing"
    from_year = __import__("re").search(r'name="from_year" value="(\d+)"', html).group(1)
    done = client.post("/admin/year", data={
        "csrf_token": csrf_from(html), "action": "confirm", "from_year": from_year,
        f"name-{y2}": "Year 3 Robins", f"name-{y5}": "Year 6 Kestrels",
        f"teachers-{y2}": [str(teacher2)], f"name-{y6}": "Year 6 Eagles"})
    assert done.status_code == 200
    result = done.get_data(as_text=True)
    assert "Login cards for Year 3 Robins" in result
    with app.app_context():
        robins = db.session.get(SchoolClass, y2)
        assert (robins.name, robins.year_group, robins.band) == ("Year 3 Robins", 3, "ks2")
        assert db.session.get(ClassTeacher, (y2, teacher2)) is not None
        sam = db.session.get(Pupil, sam_id)
        assert sam.year_group == 3 and sam.band == "ks2"
        assert sam.user.username and sam.card_password and sam.picture_code is None
        assert db.session.scalar(select(func.count(LessonProgress.id)).where(
            LessonProgress.pupil_id == sam_id)) == 1, "progress history is kept"
        eagles = db.session.get(SchoolClass, y6)
        assert eagles.archived_at is not None and eagles.name.startswith("Year 6 Eagles (")
        assert set(db.session.scalars(select(Pupil.status).where(
            Pupil.class_id == y6))) == {"left"}
        assert db.session.get(SchoolClass, y5).year_group == 6
        assert db.session.scalar(select(School.academic_year)) is not None
        sam_username, sam_password = sam.user.username, sam.card_password
    # Sam now signs in with a username and a password (and chooses their own).
    kid = app.test_client()
    redirected(submit(kid, "/login", {"username": sam_username, "password": sam_password}
                      ), '/learn/')
    # The same confirmation again is refused: the year has already moved on.
    again = client.post("/admin/year", data={
        "csrf_token": csrf_from(html), "action": "confirm", "from_year": from_year,
        f"name-{y2}": "Year 4 Robins", f"name-{y5}": "Year 6 Kestrels"})
    assert "already moved on" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SchoolClass, y2).year_group == 3


def test_clashing_names_are_refused_and_nothing_changes(app, client):
    with app.app_context():
        y2, y5 = (db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == n))
                  for n in ("Year 2 Robins", "Year 5 Kestrels"))
    sign_in(client, "admin")
    html = client.get("/admin/year").get_data(as_text=True)
    from_year = __import__("re").search(r'name="from_year" value="(\d+)"', html).group(1)
    response = client.post("/admin/year", data={
        "csrf_token": csrf_from(html), "action": "confirm", "from_year": from_year,
        f"name-{y2}": "Same", f"name-{y5}": "same"})
    assert response.status_code == 400
    assert "Two classes would have this name." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SchoolClass, y2).name == "Year 2 Robins"


def test_only_admins_roll_the_year_over(app):
    for role in ("teacher", "dsl", "parent", "pupil"):
        c = app.test_client()
        sign_in(c, role)
        assert c.get("/admin/year").status_code == 403


def test_a_year_6_class_with_a_younger_pupil_must_be_sorted_first(app, client):
    y6 = add_year6(app)
    with app.app_context():
        tom = db.session.scalar(select(Pupil).where(Pupil.first_name == "Tom"))
        tom.year_group = 5
        db.session.commit()
    sign_in(client, "admin")
    page = client.get("/admin/year").get_data(as_text=True)
    assert "1 pupil(s) here are not in Year 6" in page
    response = submit(client, "/admin/year", {"action": "confirm", "from_year": "2026",
                                              f"name-{y6}": "Year 6 Eagles"},
                      page="/admin/year")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(SchoolClass, y6).archived_at is None
