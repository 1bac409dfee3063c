"""Set work, groups, year-appropriate release and first tries, used as a teacher, a pupil and
a parent would. The fixture course has one KS2 lesson (fixture-passwords, Years 3-4) and one
KS1 lesson; the demo Year 5 class already has set work from seed-demo."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import (
    Assignment,
    AssignmentPupil,
    ClassTeacher,
    LessonRelease,
    Pupil,
    PupilGroup,
    QuizAnswer,
    ScenarioChoice,
    SchoolClass,
    User,
)
from app.teach.dates import school_today

from .conftest import FIXTURE_CONTENT
from .helpers import real_page, redirected, sign_in, submit

KS2 = "/learn/fixture-passwords"


def ids(app) -> dict:
    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        y2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 2 Robins"))
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        priya = db.session.scalar(select(Pupil).where(Pupil.first_name == "Priya"))
        return {"y5": y5.id, "y2": y2.id, "alex": alex.id, "priya": priya.id,
                "school": y5.school_id}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def clear_work(app) -> None:
    """Start from no set work (the demo sets some)."""
    with app.app_context():
        for model in (AssignmentPupil, Assignment):
            db.session.execute(model.__table__.delete())
        db.session.commit()


def text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_teacher_sets_a_lesson_and_the_pupil_sees_it_first_and_the_parent_sees_it(app):
    clear_work(app)
    i = ids(app)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    with app.app_context():
        due = school_today() + timedelta(days=5)
    response = submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "class",
        "due_on": due.isoformat(), "note": "Talk about it with someone at home."})
    redirected(response, '/staff/classes/<id>')
    assert "Set 1 lesson to Year 5 Kestrels" in text(teacher.get(response.location))

    pupil = app.test_client()
    sign_in(pupil, "pupil")
    home = pupil.get("/learn/").get_data(as_text=True)
    assert home.index("Set by your teacher") < home.index("Key Stage 2 lessons")
    assert "Talk about it with someone at home." in home
    assert f"{due.day} {due:%b}" in home

    parent = app.test_client()
    sign_in(parent, "parent")
    family = text(parent.get("/family/"))
    assert "Set by Alex's teacher" in family and "Strong passwords" in family
    assert "Teacher's note: Talk about it with someone at home." in family
    assert "%" not in family.split("Set by Alex's teacher")[1].split("Talk about")[0]

    # the teacher sees who has finished, is under way, or has not started
    with app.app_context():
        work = db.session.scalar(select(Assignment.id))
    def alex_is(status: str) -> bool:
        page = text(teacher.get(f"/staff/classes/{i['y5']}/work/{work}"))
        parts = re.split(r"(Finished|Under way|Not started) \(\d+\)", page)
        sections = dict(zip(parts[1::2], parts[2::2], strict=True))
        return "Alex P." in sections[status] and sum("Alex P." in v for v in
                                                      sections.values()) == 1

    assert alex_is("Not started")
    for step in ("intro", "words"):
        submit(pupil, f"{KS2}/step/{step}")
    assert alex_is("Under way")
    submit(pupil, f"{KS2}/step/friend", {"choice": "a"})
    submit(pupil, f"{KS2}/step/end")
    for qid, answer in (("best", "a"), ("share", "false"), ("tf2", "true")):
        submit(pupil, f"{KS2}/quiz/{qid}", {"answer": answer})
    submit(pupil, f"{KS2}/quiz/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})
    pupil.get(f"{KS2}/done")
    assert alex_is("Finished")
    assert "Done ✓" in pupil.get("/learn/").get_data(as_text=True)


def test_work_for_a_group_or_chosen_pupils_reaches_only_them(app):
    clear_work(app)
    i = ids(app)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    response = submit(teacher, f"/staff/classes/{i['y5']}/groups",
                      {"name": "Password practice", "pupils": [str(i["priya"])]})
    redirected(response, '/staff/classes/<id>/groups')
    with app.app_context():
        group = db.session.scalar(select(PupilGroup).where(PupilGroup.name == "Password practice"))
        group_id = group.id
    submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "group",
        "group": str(group_id), "note": "Group work"})
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    assert "Set by your teacher" not in pupil.get("/learn/").get_data(as_text=True)
    submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "pupils",
        "pupils": [str(i["alex"])], "note": "Just for Alex"})
    home = pupil.get("/learn/").get_data(as_text=True)
    assert "Just for Alex" in home and "Group work" not in home
    page = text(teacher.get(f"/staff/classes/{i['y5']}"))
    assert "Group: Password practice" in page and "1 chosen pupil" in page


@pytest.mark.parametrize("data, field, message", [
    ({"lessons": []}, "lessons", "Choose at least one lesson to set."),
    ({"lessons": ["fixture-tell"]}, "lessons", "Choose lessons from this class's key stage."),
    ({"starts_on": "2026-12-10", "due_on": "2026-12-01"}, "due_on",
     "The due date (01/12/2026) is before the start date (10/12/2026)."),
    ({"due_on": "next week"}, "due_on", "Not a valid date value."),
    ({"target": "group", "group": ""}, "group", "Choose one of this class's groups."),
    ({"target": "pupils"}, "pupils", "Choose at least one pupil."),
    ({"note": "x" * 201}, "note", "Keep the note to 200 characters or fewer."),
])
def test_bad_set_work_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(
        app, data, field, message):
    i = ids(app)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    before = count(app, Assignment)
    form = {"lessons": ["fixture-passwords"], "kind": "lesson", "target": "class",
            "note": "Kept note", **data}
    response = submit(teacher, f"/staff/classes/{i['y5']}/set-work", form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert message in html and "Nothing was set yet" in html
    assert f'id="{field}-error"' in html or f'id="{field}"' in html
    if "x" * 201 not in form["note"]:
        assert "Kept note" in html
    assert count(app, Assignment) == before


def test_an_empty_group_or_an_empty_class_is_refused(app):
    i = ids(app)
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.username == "teacher"))
        empty = SchoolClass(school_id=i["school"], name="Year 6 Empty", year_group=6)
        db.session.add(empty)
        db.session.flush()
        db.session.add(ClassTeacher(class_id=empty.id, user_id=teacher.id))
        group = PupilGroup(school_id=i["school"], class_id=i["y5"], name="Left",
                           created_by_id=teacher.id)
        db.session.add(group)
        db.session.commit()
        empty_id, group_id = empty.id, group.id
    client = app.test_client()
    sign_in(client, "teacher")
    before = count(app, Assignment)
    response = submit(client, f"/staff/classes/{empty_id}/set-work",
                      {"lessons": ["fixture-passwords"], "kind": "lesson", "target": "class"})
    assert response.status_code == 400
    assert "Year 6 Empty has no pupils yet" in unescape(response.get_data(as_text=True))
    response = submit(client, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "group",
        "group": str(group_id)})
    assert response.status_code == 400
    assert "has no pupils in this class" in unescape(response.get_data(as_text=True))
    assert count(app, Assignment) == before
    # making a group: a name and at least one pupil, and no second group of that name
    for data, message in (({"name": "", "pupils": [str(i["alex"])]}, "Give the group a name."),
                          ({"name": "Readers"}, "Choose at least one pupil for the group."),
                          ({"name": "Left", "pupils": [str(i["alex"])]}, "already has a group")):
        groups = count(app, PupilGroup)
        response = submit(client, f"/staff/classes/{i['y5']}/groups", data)
        assert response.status_code == 400 and message in unescape(
            response.get_data(as_text=True))
        assert count(app, PupilGroup) == groups


def test_another_classes_work_and_ids_give_404_and_change_nothing(app):
    i = ids(app)
    with app.app_context():
        y5_work = db.session.scalar(select(Assignment.id).where(Assignment.class_id == i["y5"]))
        y2_work = db.session.scalar(select(Assignment.id).where(Assignment.class_id == i["y2"]))
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    teacher2 = app.test_client()
    sign_in(teacher2, "teacher2")
    assert teacher2.get(f"/staff/classes/{i['y5']}/work/{y5_work}").status_code == 404
    assert teacher2.get(f"/staff/classes/{i['y2']}/work/{y5_work}").status_code == 404
    assert teacher.get(f"/staff/classes/{i['y5']}/work/{y2_work}").status_code == 404
    assert teacher.get(f"/staff/classes/{i['y5']}/work/999999").status_code == 404
    before = count(app, Assignment)
    page = f"/staff/classes/{i['y5']}/work/{y5_work}"
    assert submit(teacher, f"/staff/classes/{i['y5']}/work/{y2_work}/remove",
                  page=page).status_code == 404
    assert submit(teacher2, f"/staff/classes/{i['y2']}/work/{y5_work}/remove",
                  page=f"/staff/classes/{i['y2']}").status_code == 404
    assert count(app, Assignment) == before
    redirected(submit(teacher, f"/staff/classes/{i['y5']}/work/{y5_work}/remove",
                      page=page), '/staff/classes/<id>')
    assert count(app, Assignment) == before - 1
    # a pupil id of another class in a set-work form is ignored, never set
    response = submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "pupils",
        "pupils": [str(ids(app)["alex"] + 1000)]})
    assert response.status_code == 400 and count(app, Assignment) == before - 1


@pytest.fixture
def later_lesson_app(make_app, tmp_path: Path):
    """The fixture course with its KS2 lesson for Year 6 only: later than Alex's Year 5."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    path = root / "lessons" / "ks2" / "fixture-passwords.yaml"
    path.write_text(path.read_text().replace("years: [3, 4]", "years: [6]"))
    return make_app(CONTENT_DIR=str(root))


def test_a_later_years_lesson_opens_only_when_released_or_set(later_lesson_app):
    app = later_lesson_app
    clear_work(app)
    i = ids(app)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    assert "Strong passwords" not in pupil.get("/learn/").get_data(as_text=True)
    assert pupil.get(f"{KS2}/step/intro").status_code == 404
    assert pupil.get(f"{KS2}/").status_code == 404
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    lessons = f"/staff/classes/{i['y5']}/lessons"
    assert "Not yet (a later year)" in text(teacher.get(lessons))
    release = f"/staff/classes/{i['y5']}/lessons/fixture-passwords/release"
    submit(teacher, release, {"state": "released"}, page=lessons)
    assert "Strong passwords" in pupil.get("/learn/").get_data(as_text=True)
    real_page(pupil.get(f"{KS2}/step/intro"))
    submit(teacher, release, {"state": "default"}, page=lessons)
    assert pupil.get(f"{KS2}/step/intro").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(LessonRelease.id))) == 0
    # setting it to the pupil opens it for them alone
    submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "pupils",
        "pupils": [str(i["alex"])]})
    real_page(pupil.get(f"{KS2}/step/intro"))
    with app.app_context():
        priya = db.session.get(Pupil, i["priya"])
        from app.teach.assignments import may_open_lesson
        assert not may_open_lesson(priya, app.extensions["catalogue"].lesson(
            "fixture-passwords"))


def test_a_held_back_lesson_is_hidden_404_by_url_and_cannot_be_set(app):
    i = ids(app)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    real_page(pupil.get(f"{KS2}/step/intro"))
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    lessons = f"/staff/classes/{i['y5']}/lessons"
    response = submit(teacher, f"/staff/classes/{i['y5']}/lessons/fixture-passwords/release",
                      {"state": "held"}, page=lessons)
    redirected(response, '/staff/classes/<id>/lessons')
    assert "Held back" in text(teacher.get(lessons))
    for url in (f"{KS2}/", f"{KS2}/step/intro", f"{KS2}/quiz/best", f"{KS2}/done"):
        assert pupil.get(url).status_code == 404, url
    home = pupil.get("/learn/").get_data(as_text=True)
    assert "Strong passwords" not in home  # not even as set work
    before = count(app, Assignment)
    response = submit(teacher, f"/staff/classes/{i['y5']}/set-work",
                      {"lessons": ["fixture-passwords"], "kind": "lesson", "target": "class"})
    assert response.status_code == 400
    assert "is held back for this class" in unescape(response.get_data(as_text=True))
    assert count(app, Assignment) == before
    # another class's teacher, or a junk state, changes nothing
    teacher2 = app.test_client()
    sign_in(teacher2, "teacher2")
    assert submit(teacher2, f"/staff/classes/{i['y5']}/lessons/fixture-passwords/release",
                  {"state": "default"}, page="/staff/").status_code == 404
    submit(teacher, f"/staff/classes/{i['y5']}/lessons/fixture-passwords/release",
           {"state": "everyone"}, page=lessons)
    assert pupil.get(f"{KS2}/step/intro").status_code == 404
    assert teacher.get(f"/staff/classes/{i['y5']}/lessons/fixture-tell/assess").status_code \
        == 404  # a lesson of the other key stage


def test_first_tries_are_flagged_and_retries_are_not(app):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    for step in ("intro", "words"):
        submit(pupil, f"{KS2}/step/{step}")
    submit(pupil, f"{KS2}/step/friend", {"choice": "b"})  # weak: try again
    submit(pupil, f"{KS2}/step/friend", {"choice": "a"})
    submit(pupil, f"{KS2}/step/end")
    submit(pupil, f"{KS2}/quiz/best", {"answer": "b"})
    submit(pupil, f"{KS2}/quiz/best", {"answer": "a"})
    i = ids(app)
    with app.app_context():
        choices = list(db.session.scalars(select(ScenarioChoice).where(
            ScenarioChoice.pupil_id == i["alex"]).order_by(ScenarioChoice.id)))
        answers = list(db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.pupil_id == i["alex"]).order_by(QuizAnswer.id)))
    assert [(c.choice, c.first_try) for c in choices] == [("b", True), ("a", False)]
    assert [(a.attempt, a.correct, a.first_try) for a in answers] == [(1, False, True),
                                                                      (2, True, False)]


def test_a_baseline_check_is_kept_apart_from_the_first_try(app):
    i = ids(app)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    home = pupil.get("/learn/").get_data(as_text=True)
    assert "Quick check: Strong passwords" in home  # set by the demo teacher
    url = f"{KS2}/check/best"
    response = submit(pupil, url, {"answer": "zz"})
    assert response.status_code == 400 and "Choose one answer." in response.get_data(
        as_text=True)
    response = submit(pupil, url, {"answer": "b"})
    assert response.location.endswith(f"{KS2}/check/share")
    assert pupil.get(url).location.endswith(f"{KS2}/check/share")  # answered once only
    submit(pupil, f"{KS2}/check/share", {"answer": "true"})
    submit(pupil, f"{KS2}/check/tf2", {"answer": "true"})
    response = submit(pupil, f"{KS2}/check/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})
    assert response.location.endswith("/learn/")
    assert "Thank you!" in pupil.get("/learn/").get_data(as_text=True)
    # the lesson's own quiz: attempt 1 is still the first try
    for step in ("intro", "words"):
        submit(pupil, f"{KS2}/step/{step}")
    submit(pupil, f"{KS2}/step/friend", {"choice": "a"})
    submit(pupil, f"{KS2}/step/end")
    submit(pupil, f"{KS2}/quiz/best", {"answer": "a"})
    with app.app_context():
        rows = list(db.session.execute(select(
            QuizAnswer.question_id, QuizAnswer.baseline, QuizAnswer.first_try,
            QuizAnswer.attempt).where(QuizAnswer.pupil_id == i["alex"]).order_by(
            QuizAnswer.id)))
    assert rows[0] == ("best", True, False, 0) and len(rows) == 5
    assert rows[-1] == ("best", False, True, 1)
    # a check nobody set: 404
    with app.app_context():
        db.session.execute(Assignment.__table__.delete().where(Assignment.kind == "baseline"))
        db.session.commit()
    assert pupil.get(url).status_code == 404


def test_scenario_choices_keep_one_order_per_pupil(app):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    for step in ("intro", "words"):
        submit(pupil, f"{KS2}/step/{step}")

    def order() -> list[str]:
        html = pupil.get(f"{KS2}/step/friend").get_data(as_text=True)
        return re.findall(r'name="choice" value="(\w)"', html)

    first = order()
    assert sorted(first) == ["a", "b", "c"] and order() == first
    from app.learn.quiz import shuffled_choices
    step = app.extensions["catalogue"].lesson("fixture-passwords").step("friend")
    orders = {tuple(c.key for c in shuffled_choices(step, pid)) for pid in range(1, 40)}
    assert len(orders) > 1  # not always the same order for everyone


def test_a_teacher_changes_set_works_dates_and_note_and_bad_dates_change_nothing(app):
    clear_work(app)
    i = ids(app)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "class",
        "note": "First note"})
    with app.app_context():
        work_id = db.session.scalar(select(Assignment.id))
        due = school_today() + timedelta(days=3)
    edit = f"/staff/classes/{i['y5']}/work/{work_id}/edit"
    form = teacher.get(edit)
    assert form.status_code == 200 and "First note</textarea>" in form.get_data(as_text=True)
    response = submit(teacher, edit, {"due_on": due.isoformat(), "note": "Due on Friday"})
    assert response.status_code == 302 and response.location.endswith(f"/work/{work_id}")
    assert "Dates and note changed" in text(teacher.get(response.location))
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    assert "Due on Friday" in pupil.get("/learn/").get_data(as_text=True)
    # a due date before the start: the message, what was typed kept, nothing saved
    response = submit(teacher, edit, {"starts_on": "2026-12-10", "due_on": "2026-12-01",
                                      "note": "Typed but not saved"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "The due date (01/12/2026) is before the start date (10/12/2026)." in html
    assert "Nothing was changed yet" in html and "Typed but not saved" in html
    with app.app_context():
        work = db.session.get(Assignment, work_id)
        assert (work.note, work.due_on, work.starts_on) == ("Due on Friday", due, None)
    # another teacher's class: 404, nothing changed
    teacher2 = app.test_client()
    sign_in(teacher2, "teacher2")
    assert teacher2.get(edit).status_code == 404
    assert submit(teacher2, f"/staff/classes/{i['y2']}/work/{work_id}/edit",
                  {"note": "Not mine"}, page=f"/staff/classes/{i['y2']}").status_code == 404
    with app.app_context():
        assert db.session.get(Assignment, work_id).note == "Due on Friday"


def test_a_teacher_changes_a_group_and_its_work_follows_then_removes_it(app):
    clear_work(app)
    i = ids(app)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    submit(teacher, f"/staff/classes/{i['y5']}/groups",
           {"name": "Practice", "pupils": [str(i["priya"])]})
    with app.app_context():
        group_id = db.session.scalar(select(PupilGroup.id).where(PupilGroup.name == "Practice"))
    submit(teacher, f"/staff/classes/{i['y5']}/set-work", {
        "lessons": ["fixture-passwords"], "kind": "lesson", "target": "group",
        "group": str(group_id), "note": "Group work"})
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    assert "Group work" not in pupil.get("/learn/").get_data(as_text=True)
    page = f"/staff/classes/{i['y5']}/groups/{group_id}"
    assert "Practice" in text(teacher.get(f"/staff/classes/{i['y5']}/groups"))
    # the same name as another group, or no pupils: refused, nothing changed
    submit(teacher, f"/staff/classes/{i['y5']}/groups",
           {"name": "Readers", "pupils": [str(i["alex"])]})
    for data, message in (({"name": "Readers", "pupils": [str(i["alex"])]},
                           "already has a group called \u201cReaders\u201d"),
                          ({"name": "Practice 2"}, "Choose at least one pupil for the group.")):
        response = submit(teacher, page, data)
        assert response.status_code == 400
        assert message in unescape(response.get_data(as_text=True))
    response = submit(teacher, page, {"name": "Practice 2",
                                      "pupils": [str(i["priya"]), str(i["alex"])]})
    assert response.status_code == 302
    assert "Group work" in pupil.get("/learn/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PupilGroup, group_id).name == "Practice 2"
    # another class's teacher cannot see or remove it
    teacher2 = app.test_client()
    sign_in(teacher2, "teacher2")
    assert teacher2.get(page).status_code == 404
    assert submit(teacher2, f"/staff/classes/{i['y2']}/groups/{group_id}/remove",
                  page=f"/staff/classes/{i['y2']}/groups").status_code == 404
    response = submit(teacher, page + "/remove", page=page)
    assert response.status_code == 302
    assert "and the 1 piece of work set to it" in text(teacher.get(response.location))
    with app.app_context():
        assert db.session.get(PupilGroup, group_id) is None
        assert count(app, Assignment) == 0
    assert "Group work" not in pupil.get("/learn/").get_data(as_text=True)
