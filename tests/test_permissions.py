"""Every route, for every role: the right door opens, the others give 403 or a redirect."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import Pupil, SchoolClass, Worry

from .helpers import PASSWORDS, real_page, sign_in

ROLES = ["anonymous", *sorted(PASSWORDS)]

# endpoint -> roles that get 200 on GET (others: 302 to sign-in, 403 or 404)
ALLOWED = {
    "auth.index": set(),  # always a redirect
    "auth.login": {"anonymous"},
    "auth.picture_names": set(),
    "auth.picture_code": set(),
    "auth.agreement": set(),  # redirects home once accepted
    "auth.device": {"admin", "teacher", "teacher2"},
    "auth.new_password": {"admin", "teacher", "teacher2", "dsl", "pupil", "parent"},
    "auth.still_here": {"admin", "teacher", "teacher2", "dsl", "pupil", "parent"},
    "auth.reauth": {"admin", "teacher", "teacher2", "dsl", "pupil", "parent"},
    "auth.two_step": set(),  # only between the two steps of a sign-in
    "auth.two_step_setup": set(),
    "auth.two_step_account": {"admin", "dsl"},  # accounts with two-step sign-in set up
    "learn.home": {"pupil"},
    "learn.lesson": set(),
    "learn.step": {"pupil"},
    "learn.question": set(),
    "learn.done": set(),
    "learn.settings": {"pupil"},
    "learn.badges": {"pupil"},
    "learn.certificate": set(),  # only once the whole block is finished
    "teach.home": {"admin", "teacher", "teacher2", "dsl"},
    "teach.class_progress": {"admin", "teacher"},
    "teach.course": {"admin", "teacher", "teacher2"},
    "teach.lesson_notes": {"admin", "teacher", "teacher2"},
    "teach.family_letter_page": {"admin", "teacher", "teacher2"},
    "family.home": {"parent"},
    # learning at home (walked with the Year 5 class: KS2 classes have no home cards)
    "auth.home_cards": set(),
    "family.guides": {"anonymous", "admin", "teacher", "teacher2", "dsl", "pupil", "parent"},
    "family.guide": set(),  # walked with a lesson's slug: no such guide (test_family_guides)
    "family.what_we_see": {"anonymous", "admin", "teacher", "teacher2", "dsl", "pupil",
                           "parent"},
    "family.agreement": {"parent"},
    "family.agreement_print": set(),  # a redirect to the builder until one is saved
    "auth.home_code": {"anonymous", "admin", "teacher", "teacher2", "dsl", "pupil", "parent"},
    "teach.picture_cards": {"admin", "teacher"},  # walked with the Year 5 class
    # set work and assessment (walked with the Year 5 class; pupil_id is Sam, of Year 2, so a
    # Year 5 URL with it is a 404 for everyone: tests/test_reports.py opens real pupil pages)
    "learn.check": {"pupil"},  # the demo set Year 5 a baseline check of the lesson
    "teach.class_csv": {"admin", "teacher"},
    "teach.set_work_page": {"admin", "teacher"},
    "teach.work_detail": {"admin", "teacher"},
    "teach.work_edit": {"admin", "teacher"},
    "teach.groups": {"admin", "teacher"},
    "teach.group_edit": {"admin", "teacher"},
    "teach.class_lessons": {"admin", "teacher"},
    "teach.lesson_assessment": {"admin", "teacher"},
    "teach.lesson_assessment_csv": {"admin", "teacher"},
    "teach.pupil_report": set(),
    "teach.pupil_report_csv": set(),
    "teach.school_coverage": {"admin", "teacher", "teacher2"},
    "teach.school_coverage_csv": {"admin", "teacher", "teacher2"},
    "worries.report": {"pupil"},
    "worries.sent": {"pupil"},  # only for the pupil who sent it
    "worries.mine": {"pupil"},
    "worries.hide": set(ROLES),
    "worries.concern": {"admin", "teacher", "teacher2", "dsl"},
    "worries.my_concerns": {"admin", "teacher", "teacher2", "dsl"},
    "worries.inbox": {"dsl"},
    "worries.worry": {"dsl"},
    "worries.chronology": {"dsl"},
    "worries.export_page": {"dsl"},
    "worries.export_csv": {"dsl"},
    "worries.audit_log": {"dsl"},
    "worries.retention": {"dsl"},
    "worries.away": {"dsl"},
    "worries.governors_report": {"dsl"},
    "worries.governors_report_csv": {"dsl"},
    "worries.transfer_page": {"dsl"},
    "worries.transfer_print": set(),  # no package exists in the walk: 404
    "worries.transfer_json": set(),
    "admin.home": {"admin"},
    "admin.staff_list": {"admin"},
    "admin.staff_edit": {"admin"},  # walked with the Year 5 teacher's account
    "admin.class_list": {"admin", "teacher", "teacher2"},
    "admin.class_page": {"admin", "teacher"},  # the Year 5 class
    "admin.login_cards": {"admin", "teacher"},
    "admin.pupil_new": {"admin", "teacher"},
    "admin.pupil_edit": {"admin", "teacher2"},  # Sam, in Year 2
    "admin.pupil_card": {"admin", "teacher2"},
    "admin.import_upload": {"admin", "teacher", "teacher2"},
    "admin.import_preview": set(),  # only the person who uploaded it
    "admin.families": {"admin"},
    "admin.school_year": {"admin"},
    "admin.audit_log": {"admin"},
    "join.join": {"anonymous", "parent"},
    "ops.health": set(ROLES),  # for monitors: no personal data
}

# The demo deputy lead opens every door the lead does (app/worries/demo.py).
for _roles in ALLOWED.values():
    if "dsl" in _roles:
        _roles.add("deputylead")


def a_worry(app) -> int:
    """A worry raised by the demo KS2 pupil, so worry pages have something to show."""
    from app.models import User

    with app.app_context():
        existing = db.session.scalar(select(Worry.id))
        if existing:
            return existing
        user = db.session.scalar(select(User).where(User.username == "pupil"))
        worry = Worry(school_id=user.school_id, source="pupil", raised_by_id=user.id,
                      about_pupil_id=user.pupil.id, kind="unkind", client_token="t" * 32)
        db.session.add(worry)
        db.session.commit()
        return worry.id


def urls(app, method: str = "GET") -> dict[str, str]:
    from app.models import User

    worry_id = a_worry(app)
    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == "Year 5 Kestrels"))
        sam = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
        teacher = db.session.scalar(select(User.id).where(User.username == "teacher"))
        from app.models import Assignment
        work = db.session.scalar(select(Assignment.id).where(Assignment.class_id == y5))
        from app.models import PupilGroup
        group = db.session.scalar(select(PupilGroup.id).where(PupilGroup.class_id == y5))
    from app.worries.service import worry_reference

    with app.app_context():
        ref = worry_reference(worry_id)
    values = {"ref": ref, "user_id": teacher, "batch_id": 999999, "link_id": 999999,
              "slug": "fixture-passwords", "step_id": "intro", "qid": "best", "class_id": y5,
              "pupil_id": sam, "filename": "css/app.css", "worry_id": worry_id,
              "block_id": "lower-ks2", "assignment_id": work, "code": "ABCD-EFGH",
              "group_id": group, "package_id": 999999}
    out = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in rule.methods:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{arg}>", str(values[arg]), url)
        out[rule.endpoint] = url
    return out


def test_every_route_is_in_the_table(app):
    assert set(urls(app)) == set(ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app, role):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, role)
    for endpoint, url in urls(app).items():
        response = client.get(url)
        assert response.status_code < 500, (endpoint, url)
        if role in ALLOWED[endpoint]:
            real_page(response, where=(role, endpoint, url))
        else:
            assert response.status_code in (302, 403, 404), (role, endpoint, url)
            if role == "anonymous" and response.status_code == 302:
                assert "/login" in response.location or endpoint.startswith("auth.")


def test_teacher_of_another_class_cannot_see_its_progress(app, client):
    sign_in(client, "teacher2")
    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == "Year 5 Kestrels"))
    assert client.get(f"/staff/classes/{y5}").status_code == 404


def test_staff_of_another_school_cannot_see_this_school(app, client):
    from app.demo import DemoSummary, _account
    from app.models import ClassTeacher, School, StaffRole

    with app.app_context():
        other = School(name="Other Primary", slug="other")
        db.session.add(other)
        db.session.flush()
        user = _account(DemoSummary(), other, "staff", "otherhead", "other-pass-123", "Head")
        db.session.add(StaffRole(user_id=user.id, role="school_admin"))
        db.session.add(StaffRole(user_id=user.id, role="teacher"))
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        db.session.add(ClassTeacher(class_id=y5.id, user_id=user.id))  # even if mislinked
        db.session.commit()
        y5_id = y5.id
    sign_in(client, "otherhead", "other-pass-123")
    assert client.get(f"/staff/classes/{y5_id}").status_code == 404
    assert "Year 5 Kestrels" not in client.get("/staff/").get_data(as_text=True)


JUNK = [
    {},
    {"choice": "zz", "answer": "<script>", "kind": "x" * 500, "step": "9", "talk": "maybe",
     "entry": "delete", "status": "gone", "urgency": "now", "corrects": "-1",
     "pos-0": "abc", "item-a": "nowhere", "school_class": "not-a-number", "pupil": "99999",
     "occurred_at": "yesterday-ish", "text_size": "huge", "picture": "../../etc/passwd",
     "token": "short", "from": "//evil.example", "action": "off"},
]


@pytest.mark.parametrize("role", ROLES)
def test_malformed_posts_to_every_form_never_cause_a_server_error(app, role):
    from .helpers import csrf_from

    client = app.test_client()
    if role != "anonymous":
        sign_in(client, role)
    token = csrf_from(client.get("/login" if role == "anonymous" else "/",
                                 follow_redirects=True).get_data(as_text=True))
    gets = urls(app)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = gets.get(rule.endpoint) or rule.rule
        for data in JUNK:
            response = client.post(url, data={"csrf_token": token, **data})
            assert response.status_code < 500, (role, url, data, response.status_code)


@pytest.mark.parametrize("role", ["pupil", "teacher", "dsl", "admin", "parent"])
def test_every_form_refuses_a_post_without_its_csrf_token_and_changes_nothing(app, role):
    """CSRFProtect guards every POST before the view runs (views do not check it again)."""
    from app.models import OutboxEmail, QuizAnswer, WorryEntry

    client = app.test_client()
    sign_in(client, role)

    def counts():
        with app.app_context():
            return [db.session.scalar(select(func.count()).select_from(m))
                    for m in (Worry, WorryEntry, OutboxEmail, QuizAnswer)]

    posts = urls(app, "POST")  # (makes a worry for the lead's forms first)
    before = counts()
    for endpoint, url in posts.items():
        if endpoint == "auth.logout":
            continue
        data = {"step": "3", "kind": "unkind", "about": "me", "talk": "yes", "token": "a" * 32,
                "entry": "status", "status": "closed", "note": "x", "answer": "a"}
        response = client.post(url, data=data)
        assert response.status_code == 400, (role, url, response.status_code)
    assert counts() == before


def _people(*usernames: str) -> dict:
    from app.models import User

    return {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(usernames)))}


@pytest.mark.parametrize(("username", "classes", "kestrels", "staff", "worries"), [
    ("admin", {"Year 2 Robins", "Year 5 Kestrels"}, 8, 5, 0),
    ("teacher", {"Year 5 Kestrels"}, 8, 0, 0),
    ("teacher2", {"Year 2 Robins"}, 0, 0, 0),
    ("dsl", set(), 0, 0, 1),
    ("pupil", set(), 0, 0, 0),
    ("parent", set(), 0, 0, 0),
])
def test_each_check_has_its_list_and_they_agree(app, username, classes, kestrels, staff,
                                                  worries):
    """The list helpers show exactly what the may_* checks allow (Kolibri's pairs)."""
    from app import permissions as p

    a_worry(app)
    with app.app_context():
        user = _people(username)[username]
        every_class = list(db.session.scalars(select(SchoolClass)))
        visible = p.visible_classes(user)
        assert {c.name for c in visible} == classes
        assert {c.id for c in visible} == {c.id for c in every_class
                                           if p.may_manage_class(user, c)}
        y5 = next(c for c in every_class if c.name == "Year 5 Kestrels")
        pupils = p.visible_pupils(user, y5)
        assert len(pupils) == kestrels
        assert all(p.may_manage_pupil(user, x) for x in pupils)
        people = p.visible_staff(user)
        assert len(people) == staff and all(p.may_manage_staff(user, x) for x in people)
        readable = list(db.session.scalars(p.readable_worries(user)))
        assert len(readable) == worries and all(p.may_read_worry(user, w) for w in readable)


def test_urls_to_objects_the_user_may_not_manage_are_not_found(app):
    from werkzeug.exceptions import NotFound

    from app import permissions as p

    with app.app_context():
        people = _people("teacher", "teacher2", "dsl", "admin")
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        alex = db.session.scalar(select(Pupil).where(Pupil.class_id == y5.id))
        assert p.managed_class_or_404(people["teacher"], y5.id) is y5
        assert p.managed_pupil_or_404(people["admin"], alex.id) is alex
        assert p.managed_staff_or_404(people["admin"], people["dsl"].id) is people["dsl"]
        for call in (lambda: p.managed_class_or_404(people["teacher2"], y5.id),
                     lambda: p.managed_pupil_or_404(people["teacher2"], alex.id),
                     lambda: p.managed_staff_or_404(people["teacher"], people["dsl"].id),
                     lambda: p.managed_class_or_404(people["admin"], 2**31 - 1)):
            with pytest.raises(NotFound):
                call()
