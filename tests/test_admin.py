"""A school sets itself up: a new school, staff and roles, classes, pupils, sign-in cards,
leavers and the audit of every change. Family links and the new year: test_families.py,
test_school_year.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import AdminAudit, ClassTeacher, Pupil, School, SchoolClass, StaffRole, User

from .helpers import csrf_from, real_page, redirected, sign_in, submit


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def class_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == name))


def one_time_password(html: str) -> str:
    return re.search(r'class="kept-text">([^<]+)<', html).group(1)


# --- a new school from nothing --------------------------------------------------------------


def test_create_school_then_the_admin_signs_in_and_chooses_a_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-school", "St Anne's C of E Primary", "--admin",
                                 "Office.Head", "--admin-name", "Mrs Okafor"])
    assert result.exit_code == 0, result.output
    password = re.search(r"One-time password: (\S+)", result.output).group(1)
    with app.app_context():
        school = db.session.scalar(select(School).where(School.slug == "st-anne-s-c-of-e-primary"))
        admin = db.session.scalar(select(User).where(User.username == "office.head"))
        assert school is not None and admin.school_id == school.id
        assert admin.role_names == {"school_admin"} and admin.must_change_password
        assert admin.password_hash != password
    # The same username again is refused with a clear message, and nothing is created.
    again = runner.invoke(args=["create-school", "Another", "--admin", "office.head"])
    assert again.exit_code != 0 and "That username is taken" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id)).where(
            School.name == "Another")) == 0

    client = app.test_client()
    sign_in(client, "office.head", password, accept=False)  # with the two-step set-up
    # Every page leads to choosing a password first.
    assert client.get("/admin/").location.endswith("/password/new")
    weak = submit(client, "/password/new", {"password": "short", "confirm": "short"})
    assert weak.status_code == 400 and "at least 8 characters" in weak.get_data(as_text=True)
    mismatch = submit(client, "/password/new", {"password": "a-long-pass", "confirm": "other"})
    assert "not the same" in mismatch.get_data(as_text=True)
    chosen = submit(client, "/password/new", {"password": "river-otter-lamp",
                                              "confirm": "river-otter-lamp"})
    redirected(chosen, '/staff/')
    submit(client, "/agreement")
    home = client.get("/admin/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "St Anne&#39;s C of E Primary" in page
    assert "There is no active safeguarding lead yet" in page
    # The one-time password no longer works.
    other = app.test_client()
    assert submit(other, "/login", {"username": "office.head",
                                    "password": password}).status_code == 400


# --- staff and roles --------------------------------------------------------------------------


def test_add_a_teacher_and_a_lead_who_sign_in_with_their_one_time_passwords(app, client):
    sign_in(client, "admin")
    added = submit(client, "/admin/staff", {"display_name": "Mr Osei", "username": "Kosei",
                                            "email": "", "roles": ["teacher"]})
    assert added.status_code == 200
    page = added.get_data(as_text=True)
    assert "kosei" in page
    password = one_time_password(page)
    lead = submit(client, "/admin/staff", {"display_name": "Ms Byrne", "username": "nbyrne",
                                           "email": "nbyrne@school.example",
                                           "roles": ["safeguarding_lead", "teacher"]})
    lead_password = one_time_password(lead.get_data(as_text=True))
    with app.app_context():
        byrne = db.session.scalar(select(User).where(User.username == "nbyrne"))
        assert byrne.role_names == {"safeguarding_lead", "teacher"}
        assert byrne.email == "nbyrne@school.example"
        assert db.session.scalar(select(func.count(AdminAudit.id)).where(
            AdminAudit.action == "staff.add")) == 2
    for username, pw in (("kosei", password), ("nbyrne", lead_password)):
        c = app.test_client()
        sign_in(c, username, pw, accept=False)  # the lead sets up two-step sign-in first
        assert c.get("/staff/").location.endswith("/password/new")


@pytest.mark.parametrize("data, field, message", [
    ({"display_name": "", "username": "abc", "roles": ["teacher"]}, "display_name",
     "Type the name"),
    ({"display_name": "A", "username": "teacher", "roles": ["teacher"]}, "username",
     "That username is taken"),
    ({"display_name": "A", "username": "no spaces!", "roles": []}, "username",
     "lower-case letters"),
    ({"display_name": "A", "username": "abcd", "email": "not-an-email"}, "email",
     "not an email address"),
    ({"display_name": "A", "username": "abcd", "roles": ["head-of-everything"]}, "roles",
     "not a valid choice"),
])
def test_bad_staff_details_name_the_field_and_keep_what_was_typed(app, client, data, field,
                                                                  message):
    sign_in(client, "admin")
    with app.app_context():
        before = db.session.scalar(select(func.count(User.id)))
    response = submit(client, "/admin/staff", {"email": "", **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page or field == "roles"
    if data["display_name"]:
        assert f'value="{data["display_name"]}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == before


def test_the_last_admin_and_the_last_lead_cannot_be_removed(app, client):
    sign_in(client, "admin")
    dsl = user_id(app, "dsl")
    admin = user_id(app, "admin")
    # Taking the lead role from the only lead is refused, with the reason, and nothing changes.
    refused = submit(client, f"/admin/staff/{dsl}", {"display_name": "Mrs Lindqvist",
                                                    "email": "", "roles": ["teacher"]})
    assert refused.status_code == 400
    assert "at least one active safeguarding lead" in refused.get_data(as_text=True)
    off = submit(client, f"/admin/staff/{dsl}/active", {"active": "0"},
                 page=f"/admin/staff/{dsl}", follow=True)
    assert "at least one active safeguarding lead" in off.get_data(as_text=True)
    # The only admin cannot drop the admin role either.
    mine = submit(client, f"/admin/staff/{admin}", {"display_name": "Ms Rowan", "email": "",
                                                   "roles": ["teacher"]})
    assert "at least one active school admin" in mine.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, dsl).role_names == {"safeguarding_lead"}
        assert db.session.get(User, dsl).enabled
        assert db.session.get(User, admin).role_names == {"school_admin"}
    # With a second lead, the first can step down.
    submit(client, "/admin/staff", {"display_name": "Mr Deputy", "username": "deputy",
                                    "email": "", "roles": ["safeguarding_lead"]})
    ok = submit(client, f"/admin/staff/{dsl}", {"display_name": "Mrs Lindqvist",
                                               "email": "dsl@demo-primary.example",
                                               "roles": ["deputy_lead"]})
    redirected(ok, '/admin/staff')
    with app.app_context():
        assert db.session.get(User, dsl).role_names == {"deputy_lead"}
        row = db.session.scalar(select(AdminAudit).where(AdminAudit.action == "staff.edit"))
        assert row.before == {"roles": ["safeguarding_lead"]}
        assert row.after == {"roles": ["deputy_lead"]}


def test_a_deputy_lead_reads_worries(app, client):
    sign_in(client, "admin")
    teacher = user_id(app, "teacher")
    submit(client, f"/admin/staff/{teacher}", {"display_name": "Mr Adeyemi", "email": "",
                                              "roles": ["teacher", "deputy_lead"]})
    deputy = app.test_client()
    sign_in(deputy, "teacher")
    real_page(deputy.get("/safeguarding/"))


def test_deactivating_ends_live_sessions_at_once(app, client):
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    real_page(teacher.get("/staff/"))
    sign_in(client, "admin")
    tid = user_id(app, "teacher")
    response = submit(client, f"/admin/staff/{tid}/active", {"active": "0"},
                      page=f"/admin/staff/{tid}")
    redirected(response, '/admin/staff/<id>')
    # The teacher's open session (the same cookie) no longer works.
    redirected(teacher.get("/staff/"), '/login?next=%<id>Fstaff%<id>F')
    assert submit(app.test_client(), "/login", {"username": "teacher",
                                                "password": "demo-teacher-pass"}
                  ).status_code == 400
    with app.app_context():
        assert not db.session.get(User, tid).enabled
    # Reactivated, they sign in again; the old cookie stays dead.
    submit(client, f"/admin/staff/{tid}/active", {"active": "1"}, page=f"/admin/staff/{tid}")
    redirected(teacher.get("/staff/"), '/login?next=%<id>Fstaff%<id>F')
    sign_in(app.test_client(), "teacher")


def test_a_new_one_time_password_ends_the_old_sessions(app, client):
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    sign_in(client, "admin")
    tid = user_id(app, "teacher")
    page = submit(client, f"/admin/staff/{tid}/password", page=f"/admin/staff/{tid}")
    password = one_time_password(page.get_data(as_text=True))
    redirected(teacher.get("/staff/"), '/login?next=%<id>Fstaff%<id>F')
    fresh = app.test_client()
    redirected(submit(fresh, "/login", {"username": "teacher", "password": password}
                      ), '/staff/')
    assert fresh.get("/staff/").location.endswith("/password/new")


def test_you_cannot_deactivate_yourself(app, client):
    sign_in(client, "admin")
    me = user_id(app, "admin")
    page = submit(client, f"/admin/staff/{me}/active", {"active": "0"},
                  page=f"/admin/staff/{me}", follow=True)
    assert "cannot deactivate your own account" in page.get_data(as_text=True)


# --- classes ----------------------------------------------------------------------------------


def test_create_rename_give_teachers_and_archive_a_class(app, client):
    sign_in(client, "admin")
    teacher2 = user_id(app, "teacher2")
    made = submit(client, "/admin/classes", {"name": "Year 3 Owls", "year_group": "3",
                                             "teachers": [str(teacher2)]})
    redirected(made, '/admin/classes/<id>')
    owls = class_id(app, "Year 3 Owls")
    with app.app_context():
        assert db.session.get(ClassTeacher, (owls, teacher2)) is not None
    clash = submit(client, "/admin/classes", {"name": "year 3 owls", "year_group": "3"})
    assert clash.status_code == 400
    assert "already a class called \u201cYear 3 Owls\u201d" in clash.get_data(as_text=True)
    bad_year = submit(client, "/admin/classes", {"name": "Year 9", "year_group": "9"})
    assert bad_year.status_code == 400 and "Not a valid choice" in bad_year.get_data(
        as_text=True)
    renamed = submit(client, f"/admin/classes/{owls}", {
        "name": "Year 3 Barn Owls", "year_group": "3", "teachers": [],
        "pupils_choose_password": "y"})
    redirected(renamed, '/admin/classes/<id>')
    with app.app_context():
        c = db.session.get(SchoolClass, owls)
        assert c.name == "Year 3 Barn Owls"
        assert db.session.get(ClassTeacher, (owls, teacher2)) is None
    archived = submit(client, f"/admin/classes/{owls}/archive", page=f"/admin/classes/{owls}")
    redirected(archived, '/admin/classes')
    with app.app_context():
        assert db.session.get(SchoolClass, owls).archived_at is not None
    assert "Progress for Year 3 Barn Owls" not in client.get("/staff/").get_data(as_text=True)


def test_a_class_with_pupils_cannot_be_archived(app, client):
    sign_in(client, "admin")
    y5 = class_id(app, "Year 5 Kestrels")
    page = submit(client, f"/admin/classes/{y5}/archive", page=f"/admin/classes/{y5}",
                  follow=True)
    assert "still has 8 pupils" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SchoolClass, y5).archived_at is None


def test_a_teacher_changes_only_the_password_rule_of_their_own_class(app, client):
    sign_in(client, "teacher")
    y5 = class_id(app, "Year 5 Kestrels")
    response = submit(client, f"/admin/classes/{y5}", {"name": "Renamed", "year_group": "1"})
    redirected(response, '/admin/classes/<id>')
    with app.app_context():
        c = db.session.get(SchoolClass, y5)
        assert (c.name, c.year_group, c.pupils_choose_password) == ("Year 5 Kestrels", 5,
                                                                    False)
        assert db.session.get(ClassTeacher, (y5, user_id(app, "teacher"))) is not None
    assert client.post("/admin/classes", data={
        "csrf_token": csrf_from(client.get("/admin/classes").get_data(as_text=True)),
        "name": "Mine", "year_group": "5"}).status_code == 403
    assert client.get(f"/admin/classes/{class_id(app, 'Year 2 Robins')}").status_code == 404


# --- pupils -----------------------------------------------------------------------------------


def test_add_a_ks2_pupil_who_signs_in_with_the_card_and_chooses_a_password(app, client):
    sign_in(client, "teacher")
    y5 = class_id(app, "Year 5 Kestrels")
    added = submit(client, f"/admin/classes/{y5}/pupils/new", {
        "first_name": "Zainab", "surname": "Rahman", "year_group": "5",
        "school_class": str(y5)}, follow=True)
    page = added.get_data(as_text=True)
    assert "Zainab R." in page and "Rahman" not in page
    username = re.search(r"<dt>Username</dt><dd>([^<]+)</dd>", page).group(1)
    password = re.search(r"<dt>Password</dt><dd>([^<]+)</dd>", page).group(1)
    assert username.startswith("zainabr")
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).where(Pupil.first_name == "Zainab"))
        assert pupil.name_key and "Rahman" not in (pupil.name_key or "")
        assert "surname" not in Pupil.__table__.columns
    kid = app.test_client()
    redirected(submit(kid, "/login", {"username": username, "password": password}
                      ), '/learn/')
    assert kid.get("/learn/").location.endswith("/password/new")
    same = submit(kid, "/password/new", {"password": password, "confirm": password})
    assert "not the one on your card" in same.get_data(as_text=True)
    redirected(submit(kid, "/password/new", {"password": "zebra-moon", "confirm": "zebra-moon"}
                      ), '/learn/')
    card = client.get(f"/admin/pupils/{pupil.id}/card").get_data(as_text=True)
    assert "chosen by Zainab" in card and password not in card


def test_two_pupils_who_would_look_alike_get_longer_initials(app, client):
    sign_in(client, "teacher")
    y5 = class_id(app, "Year 5 Kestrels")
    # Alex P. is already in Year 5 Kestrels.
    submit(client, f"/admin/classes/{y5}/pupils/new", {
        "first_name": "Alex", "surname": "Pearson", "year_group": "5",
        "school_class": str(y5)})
    with app.app_context():
        names = set(db.session.scalars(select(Pupil.surname_initial).where(
            Pupil.first_name == "Alex")))
        assert names == {"P", "Pe"}


@pytest.mark.parametrize("data, message", [
    ({"first_name": "", "surname": "Smith"}, "Type the first name."),
    ({"first_name": "Amy", "surname": ""}, "Type the surname."),
    ({"first_name": "Amy2", "surname": "Smith"}, "has characters a name does not use"),
    ({"first_name": "Amy", "surname": "Smith", "school_class": "999999"},
     "Not a valid choice"),
])
def test_bad_pupil_details_are_refused_and_kept(app, client, data, message):
    sign_in(client, "teacher")
    y5 = class_id(app, "Year 5 Kestrels")
    with app.app_context():
        before = db.session.scalar(select(func.count(Pupil.id)))
    response = submit(client, f"/admin/classes/{y5}/pupils/new",
                      {"year_group": "5", "school_class": str(y5), **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if data["first_name"]:
        assert f'value="{data["first_name"]}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Pupil.id))) == before


def test_a_teacher_resets_a_password_and_the_old_card_stops_working(app, client):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    sign_in(client, "teacher")
    with app.app_context():
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        alex_id = alex.id
    reset = submit(client, f"/admin/pupils/{alex_id}/sign-in", page=f"/admin/pupils/{alex_id}",
                   follow=True)
    page = reset.get_data(as_text=True)
    new_password = re.search(r"<dt>Password</dt><dd>([^<]+)</dd>", page).group(1)
    assert "The old card no longer works" in page
    redirected(pupil.get("/learn/"), '/login?next=%<id>Flearn%<id>F')
    assert submit(app.test_client(), "/login", {"username": "pupil",
                                                "password": "demo-pupil-pass"}
                  ).status_code == 400
    redirected(submit(app.test_client(), "/login", {"username": "pupil",
                                                    "password": new_password}), '/learn/')


def test_new_pictures_for_a_ks1_pupil_and_unlocking(app, client):
    sign_in(client, "teacher2")
    with app.app_context():
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
        sam.user.locked_until = __import__("app.db", fromlist=["utcnow"]).utcnow().replace(
            year=2099)
        db.session.commit()
        sam_id, y2 = sam.id, sam.class_id
    assert "Paused" in client.get(f"/admin/classes/{y2}").get_data(as_text=True)
    submit(client, f"/admin/pupils/{sam_id}/unlock", page=f"/admin/pupils/{sam_id}")
    with app.app_context():
        assert db.session.get(Pupil, sam_id).user.locked_until is None
    submit(client, f"/admin/pupils/{sam_id}/sign-in", page=f"/admin/pupils/{sam_id}")
    with app.app_context():
        assert db.session.get(Pupil, sam_id).picture_code != "cat,sun,tree"
    real_page(client.get(f"/admin/pupils/{sam_id}/card"))


def test_moving_a_pupil_and_into_ks2_gives_a_password(app, client):
    sign_in(client, "admin")
    y5 = class_id(app, "Year 5 Kestrels")
    with app.app_context():
        leo = db.session.scalar(select(Pupil).where(Pupil.first_name == "Leo"))
        leo_id = leo.id
    moved = submit(client, f"/admin/pupils/{leo_id}", {
        "first_name": "Leo", "surname": "", "year_group": "3", "school_class": str(y5)})
    assert moved.status_code == 302 and moved.location.endswith(f"/admin/pupils/{leo_id}/card")
    with app.app_context():
        leo = db.session.get(Pupil, leo_id)
        assert leo.class_id == y5 and leo.year_group == 3
        assert leo.user.username and leo.card_password and leo.picture_code is None


def test_teachers_manage_only_pupils_of_their_own_classes(app, client):
    sign_in(client, "teacher")  # Year 5
    with app.app_context():
        sam_id = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
    token = csrf_from(client.get("/admin/classes").get_data(as_text=True))
    for url in (f"/admin/pupils/{sam_id}", f"/admin/pupils/{sam_id}/card"):
        assert client.get(url).status_code == 404
    for url in (f"/admin/pupils/{sam_id}/sign-in", f"/admin/pupils/{sam_id}/unlock"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Pupil, sam_id).picture_code == "cat,sun,tree"


# --- leavers ----------------------------------------------------------------------------------


def test_leavers_cannot_sign_in_their_families_stop_seeing_them_records_kept(app, client):
    from app.models import LessonProgress

    pupil = app.test_client()
    sign_in(pupil, "pupil")
    parent = app.test_client()
    sign_in(parent, "parent")
    assert "Alex" in parent.get("/family/").get_data(as_text=True)
    with app.app_context():
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        db.session.add(LessonProgress(school_id=alex.school_id, pupil_id=alex.id,
                                      lesson_slug="fixture-passwords", current="done"))
        db.session.commit()
        alex_id, y5 = alex.id, alex.class_id
        jacob = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Jacob"))
    sign_in(client, "teacher")
    done = submit(client, f"/admin/classes/{y5}/left", {"left-pupils": [str(alex_id),
                                                                        str(jacob)]},
                  page=f"/admin/classes/{y5}", follow=True)
    assert "2 pupils marked as left" in done.get_data(as_text=True)
    redirected(pupil.get("/learn/"), '/login?next=%<id>Flearn%<id>F')
    assert submit(app.test_client(), "/login", {"username": "pupil",
                                                "password": "demo-pupil-pass"}
                  ).status_code == 400
    assert "Alex P." not in parent.get("/family/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Pupil, alex_id).status == "left"
        assert db.session.scalar(select(func.count(LessonProgress.id)).where(
            LessonProgress.pupil_id == alex_id)) == 1
        assert db.session.scalar(select(func.count(AdminAudit.id)).where(
            AdminAudit.action == "pupil.left")) == 2
    nothing = submit(client, f"/admin/classes/{y5}/left", {}, page=f"/admin/classes/{y5}",
                     follow=True)
    assert "Tick the pupils who have left" in nothing.get_data(as_text=True)


# --- audit ------------------------------------------------------------------------------------


def test_every_change_is_audited_and_only_admins_read_it(app, client):
    sign_in(client, "admin")
    submit(client, "/admin/staff", {"display_name": "Mr Osei", "username": "kosei",
                                    "email": "", "roles": ["teacher"]})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Added Mr Osei (Teacher)" in page and "Ms Rowan (office)" in page
    with app.app_context():
        row = db.session.scalar(select(AdminAudit).where(AdminAudit.action == "staff.add"))
        assert "password" not in str(row.after)
        from app.models.worries import AppendOnlyError

        row.summary = "changed"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
    for role in ("teacher", "dsl", "pupil", "parent"):
        c = app.test_client()
        sign_in(c, role)
        assert c.get("/admin/audit").status_code == 403


def test_audit_pages_run_the_same_queries_for_10_and_1000_rows(app, client):
    from app.admin import audit

    sign_in(client, "admin")
    with app.app_context():
        school_id = db.session.scalar(select(School.id))

    def add(n):
        with app.app_context():
            for i in range(n):
                audit.record(school_id, None, "test", "school", None, f"row {i}")
            db.session.commit()

    def queries() -> int:
        from sqlalchemy import event

        seen = []
        with app.app_context():
            engine = db.engine

            def count(conn, cursor, statement, *args):
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", count)
            try:
                real_page(client.get("/admin/audit?page=2"))
            finally:
                event.remove(engine, "before_cursor_execute", count)
        return seen

    add(10)
    queries()  # the first page after sign-in also records the accepted agreement
    small = queries()
    add(990)
    assert len(queries()) == len(small), small


def test_staff_of_another_school_see_nothing_here(app):
    from app.admin.schools import create_school

    with app.app_context():
        school, password = create_school("Other Primary", "otheradmin")
        db.session.commit()
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name ==
                                                            "Year 5 Kestrels"))
        alex = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Alex"))
        teacher = db.session.scalar(select(User.id).where(User.username == "teacher"))
        db.session.add(StaffRole(user_id=db.session.scalar(select(User.id).where(
            User.username == "otheradmin")), role="teacher"))
        db.session.commit()
    client = app.test_client()
    sign_in(client, "otheradmin", password, accept=False)
    submit(client, "/password/new", {"password": "other-school-pass",
                                     "confirm": "other-school-pass"})
    submit(client, "/agreement")
    for url in (f"/admin/classes/{y5}", f"/admin/classes/{y5}/cards",
                f"/admin/pupils/{alex}", f"/admin/pupils/{alex}/card",
                f"/admin/staff/{teacher}", f"/admin/classes/{y5}/pupils/new"):
        assert client.get(url).status_code == 404, url
    token = csrf_from(client.get("/admin/staff").get_data(as_text=True))
    for url in (f"/admin/pupils/{alex}/sign-in", f"/admin/staff/{teacher}/active",
                f"/admin/pupils/{alex}/family-letter", f"/admin/classes/{y5}/left"):
        assert client.post(url, data={"csrf_token": token, "left-pupils": str(alex),
                                      "active": "0"}).status_code == 404, url
    listing = client.get("/admin/staff").get_data(as_text=True)
    assert "Mr Adeyemi" not in listing
    assert "Kestrels" not in client.get("/admin/classes").get_data(as_text=True)


def test_an_admin_unpauses_a_colleague_and_resets_a_lost_phone(app, client):
    from datetime import timedelta

    from app.db import utcnow

    dsl = user_id(app, "dsl")
    lead_client = app.test_client()
    sign_in(lead_client, "dsl")
    with app.app_context():
        lead = db.session.get(User, dsl)
        lead.locked_until = utcnow() + timedelta(minutes=15)
        db.session.commit()
        assert lead.totp_secret
    sign_in(client, "admin")
    submit(client, f"/admin/staff/{dsl}/unlock", page=f"/admin/staff/{dsl}")
    with app.app_context():
        assert db.session.get(User, dsl).locked_until is None
    page = submit(client, f"/admin/staff/{dsl}/two-step", page=f"/admin/staff/{dsl}",
                  follow=True)
    assert "set it up again" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, dsl).totp_secret is None
        assert db.session.scalar(select(func.count(AdminAudit.id)).where(
            AdminAudit.action.in_(["account.unlock", "account.reset-two-step"]))) == 2
    redirected(lead_client.get("/safeguarding/"), '/login?next=%<id>Fsafeguarding%<id>F')
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    token = csrf_from(teacher.get("/staff/").get_data(as_text=True))
    assert teacher.post(f"/admin/staff/{dsl}/two-step",
                        data={"csrf_token": token}).status_code == 403
