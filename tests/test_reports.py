"""Teacher reports: the class page, a lesson across the class, a pupil's page with the
teacher's judgement, coverage across the school; CSV downloads, printing, charts, query
counts that do not grow with the class, and 404s for anything not the teacher's."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from sqlalchemy import event, func, select

from app.db import db, utcnow
from app.demo import add_pupils
from app.models import (
    Assignment,
    AssignmentPupil,
    ClassTeacher,
    LessonRelease,
    LevelOverride,
    Pupil,
    PupilGroup,
    PupilGroupMember,
    School,
    SchoolClass,
    User,
)
from app.teach.csvout import to_csv

from .helpers import real_page, redirected, sign_in, submit

SLUG = "fixture-passwords"


def words(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(
        as_text=True))))


def y5(app) -> tuple[int, int]:
    with app.app_context():
        c = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        priya = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Priya"))
        return c.id, priya


def read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- what the demo gives every report ---------------------------------------------------------

def test_the_demo_gives_the_class_page_and_the_lesson_report_something_to_show(app):
    class_id, _ = y5(app)
    client = app.test_client()
    sign_in(client, "teacher")
    page = words(client.get(f"/staff/classes/{class_id}"))
    assert "Finish this before our class discussion." in page  # set work, with counts
    assert "Baseline check: Strong passwords" in page
    assert "Pupils who may be stuck" in page and "left it" in page
    assert re.search(r"✓ \d+%", page)  # done, with a first-try score
    report = client.get(f"/staff/classes/{class_id}/lessons/{SLUG}/assess")
    html = report.get_data(as_text=True)
    text = words(report)
    assert re.search(r"\d+ of \d+ think best friends can know passwords\.", text) or \
        re.search(r"\d+ of \d+ think a pet's name is a strong password\.", text)
    assert "Make these pupils a group" in text and "Reteach idea:" in text
    assert "The questions the class found hardest" in text and "Most common wrong answer" in text
    assert '<svg class="chart-bar"' in html and 'role="img"' in html  # a chart...
    assert "<table" in html  # ... with the same numbers in a table
    assert "<script" not in html.split("</main>")[0]  # no chart code in the page
    for level in ("Secure", "Developing", "Emerging", "Shows a misconception"):
        assert level in text
    assert "worr" not in text.lower().replace("report a worry", "")


# --- a pupil's page and the teacher's judgement ---------------------------------------------

def test_a_teacher_overrides_a_level_with_a_note_and_both_are_shown(app):
    class_id, priya = y5(app)
    client = app.test_client()
    sign_in(client, "teacher")
    url = f"/staff/classes/{class_id}/pupils/{priya}"
    page = client.get(url)
    assert page.status_code == 200 and "printable" in page.get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(select(func.count(LevelOverride.id)))
    # no level: a clear message, what was typed kept, nothing saved
    response = submit(client, url, {"statement": f"{SLUG}:keep-private", "level": "",
                                    "note": "Said so in circle time"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "Choose a level for your judgement" in html
    assert "Said so in circle time" in html
    for data in ({"statement": "", "level": "secure"},
                 {"statement": "fixture-tell:close-and-tell", "level": "secure"},
                 {"statement": f"{SLUG}:keep-private", "level": "brilliant"},
                 {"statement": f"{SLUG}:keep-private", "level": "secure", "note": "x" * 201}):
        assert submit(client, url, data).status_code == 400, data
    with app.app_context():
        assert db.session.scalar(select(func.count(LevelOverride.id))) == before
    response = submit(client, url, {"statement": f"{SLUG}:keep-private", "level": "emerging",
                                    "note": "Still shares with her brother"})
    redirected(response, '/staff/classes/<id>/pupils/<id>#lesson-fixture-passwords')
    text = words(client.get(url))
    assert "Teacher: Emerging – “Still shares with her brother”" in text
    row = text.split("I can keep my password to myself.")[1]
    assert any(level in row.split("Teacher:")[0] for level in (
        "Secure", "Developing", "Emerging", "Shows a misconception", "Not yet assessed"))
    submit(client, url, {"statement": f"{SLUG}:keep-private", "level": "developing",
                         "note": "Better today"})
    text = words(client.get(url))
    assert "Teacher: Developing – “Better today”" in text and "Earlier judgements" in text
    # the lesson report and its CSV show the teacher's level beside the derived one
    rows = read_csv(client.get(f"/staff/classes/{class_id}/lessons/{SLUG}/assess.csv"))
    header, priya_row = rows[0], next(r for r in rows if r[0] == "Priya S.")
    assert priya_row[header.index("I can keep my password to myself.: teacher's level")] \
        == "Developing"
    assert priya_row[header.index("I can keep my password to myself.: teacher's note")] \
        == "Better today"
    assert priya_row[header.index("I can keep my password to myself.: derived level")]


def test_a_pupil_page_prints_every_lesson_score_and_level(app):
    class_id, priya = y5(app)
    client = app.test_client()
    sign_in(client, "teacher")
    html = client.get(f"/staff/classes/{class_id}/pupils/{priya}").get_data(as_text=True)
    text = words(client.get(f"/staff/classes/{class_id}/pupils/{priya}"))
    assert "Priya S.: online safety" in text and "Strong passwords" in text
    assert "I can make a password from three random words." in text
    assert "first tries:" in text and "data-print" in html
    assert 'class="panel stack no-print"' in html  # the judgement form is not printed
    rows = read_csv(client.get(f"/staff/classes/{class_id}/pupils/{priya}/report.csv"))
    assert rows[0][:3] == ["Lesson", "Status", "Finished on"]
    assert len(rows) == 1 + 2 and rows[1][0] == "Strong passwords"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", rows[1][2])  # an ISO date
    assert rows[1][3].isdigit() and rows[1][4].isdigit()  # numbers, not text


@pytest.mark.parametrize("who", ["teacher", "teacher2", "admin"])
def test_pupil_and_report_urls_of_another_class_pupil_or_school_are_404(app, who):
    class_id, priya = y5(app)
    with app.app_context():
        y2 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 2 Robins"))
        sam = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
        other = School(name="Elsewhere", slug="elsewhere")
        db.session.add(other)
        db.session.flush()
        far = SchoolClass(school_id=other.id, name="Year 5 Far", year_group=5)
        db.session.add(far)
        db.session.flush()
        far_pupil = add_pupils(far, 1, "Far")[0]
        db.session.commit()
        y2_id, far_id, far_pupil_id = y2.id, far.id, far_pupil.id
    client = app.test_client()
    sign_in(client, who)
    urls = [f"/staff/classes/{class_id}/pupils/{sam}",  # a pupil of another class
            f"/staff/classes/{y2_id}/pupils/{priya}",
            f"/staff/classes/{class_id}/pupils/{far_pupil_id}",  # another school's
            f"/staff/classes/{far_id}/pupils/{far_pupil_id}",
            f"/staff/classes/{far_id}", f"/staff/classes/{far_id}/progress.csv",
            f"/staff/classes/{class_id}/pupils/999999/report.csv",
            f"/staff/classes/{class_id}/lessons/no-such-lesson/assess",
            f"/staff/classes/{y2_id}/lessons/{SLUG}/assess.csv"]
    if who == "teacher2":
        urls += [f"/staff/classes/{class_id}", f"/staff/classes/{class_id}/pupils/{priya}",
                 f"/staff/classes/{class_id}/lessons/{SLUG}/assess",
                 f"/staff/classes/{class_id}/set-work", f"/staff/classes/{class_id}/groups"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    with app.app_context():
        before = db.session.scalar(select(func.count(LevelOverride.id)))
    submit(client, f"/staff/classes/{class_id}/pupils/{sam}",
           {"statement": "fixture-tell:close-and-tell", "level": "secure"},
           page="/staff/")
    with app.app_context():
        assert db.session.scalar(select(func.count(LevelOverride.id))) == before


# --- coverage --------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("teacher", 200), ("teacher2", 200), ("admin", 200),
                                          ("dsl", 403), ("pupil", 403), ("parent", 403)])
def test_coverage_is_for_teachers_and_admins_with_no_pupil_names(app, role, status):
    client = app.test_client()
    sign_in(client, role)
    response = client.get("/staff/coverage")
    assert response.status_code == status
    assert client.get("/staff/coverage.csv").status_code == status
    if status == 200:
        text = words(response)
        assert "Year 2 Robins" in text and "Year 5 Kestrels" in text
        assert "Privacy and security" in text and "taught 1 of 1" in text
        assert re.search(r"\d+% secure", text)
        for name in ("Priya", "Alex", "Sam"):
            assert name not in text
        rows = read_csv(client.get("/staff/coverage.csv"))
        assert rows[0][0] == "Class" and len(rows) == 1 + 2 * 8
        kestrels = next(r for r in rows if r[0] == "Year 5 Kestrels" and
                        r[3] == "Privacy and security")
        assert kestrels[1] == "5" and kestrels[4] == "1" and kestrels[5] == "1"


# --- CSV that opens cleanly in a spreadsheet ---------------------------------------------------

def test_csv_guards_formulas_keeps_numbers_and_iso_dates(app):
    from datetime import UTC, date, datetime

    with app.app_context():  # dates are given in the school's time zone
        body = to_csv(["Name", "n", "when", "day", "none", "flag"], [
            ["=HYPERLINK(\"x\")", 3, datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
             date(2026, 1, 2), None, True],
            ["+1", -2, None, None, "-x", False], ["@SUM(A1)", 1.5, None, None, "\tTab", None],
            ["\rCR", 0, None, None, "plain, with comma", None]])
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[1][0] == "'=HYPERLINK(\"x\")" and rows[1][1] == "3"
    assert rows[1][2] == "2026-12-01"  # 23:30 UTC is still 1 December in London in winter
    assert rows[1][3] == "2026-01-02" and rows[1][4] == "" and rows[1][5] == "yes"
    assert rows[2][:2] == ["'+1", "-2"] and rows[2][4] == "'-x"  # numbers stay numbers
    assert rows[3][0] == "'@SUM(A1)" and rows[3][4] == "'\tTab" and rows[3][1] == "1.5"
    assert rows[4][0] == "'\rCR" and rows[4][4] == "plain, with comma"
    assert '\r\n3,' not in body and ',3,' in body  # unquoted: a spreadsheet reads a number
    with app.app_context():  # in summer, 23:30 UTC is already the next day in London
        summer = to_csv(["when"], [[datetime(2026, 7, 1, 23, 30, tzinfo=UTC)]])
    assert summer.splitlines()[1] == "2026-07-02"


def test_class_csv_downloads_with_a_guarded_pupil_name(app):
    class_id, _ = y5(app)
    with app.app_context():
        add_pupils(db.session.get(SchoolClass, class_id), 1, "=cmd")
        db.session.commit()
    client = app.test_client()
    sign_in(client, "teacher")
    response = client.get(f"/staff/classes/{class_id}/progress.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Pupil", "Strong passwords: status",
                           "Strong passwords: first-try score %"]
    assert ["'=cmd0 Z.", "not started", "", "0", "0", "0"] in rows
    assert all(r[2] == "" or r[2].isdigit() for r in rows[1:])


# --- a fixed number of queries whatever the class size -----------------------------------------

def make_class(app, name: str, size: int) -> tuple[int, int, int]:
    """A Year 5 class of ``size`` with learning, set work of every kind, a group, a release
    and a judgement, taught by the demo teacher."""
    from app.demo_progress import _baseline, _do_lesson, _rng

    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.slug == "demo-primary"))
        teacher = db.session.scalar(select(User).where(User.username == "teacher"))
        c = SchoolClass(school_id=school_id, name=name, year_group=5)
        db.session.add(c)
        db.session.flush()
        db.session.add(ClassTeacher(class_id=c.id, user_id=teacher.id))
        pupils = add_pupils(c, size, name.replace(" ", ""))
        lesson = app.extensions["catalogue"].lesson(SLUG)
        for n, p in enumerate(pupils):
            rng = _rng(name, n)
            _do_lesson(p, lesson, [0.3, 0.6, 0.9][n % 3], utcnow(), n % 4 != 0, rng)
            _baseline(p, lesson, 0.5, utcnow(), rng)
        group = PupilGroup(school_id=school_id, class_id=c.id, name="G", created_by_id=teacher.id)
        db.session.add(group)
        db.session.flush()
        db.session.add_all(PupilGroupMember(group_id=group.id, pupil_id=p.id) for p in pupils)
        made = []
        for kind, target in (("lesson", "class"), ("lesson", "group"), ("lesson", "pupils"),
                             ("baseline", "class")):
            a = Assignment(school_id=school_id, class_id=c.id, lesson_slug=SLUG, kind=kind,
                           target=target, group_id=group.id if target == "group" else None,
                           set_by_id=teacher.id)
            db.session.add(a)
            made.append(a)
        db.session.flush()
        db.session.add_all(AssignmentPupil(assignment_id=made[2].id, pupil_id=p.id)
                           for p in pupils[:3])
        db.session.add(LessonRelease(school_id=school_id, class_id=c.id, lesson_slug=SLUG,
                                     state="released", set_by_id=teacher.id))
        db.session.add(LevelOverride(school_id=school_id, pupil_id=pupils[1].id,
                                     lesson_slug=SLUG, statement_id="keep-private",
                                     level="secure", note="n", set_by_id=teacher.id))
        db.session.commit()
        return c.id, pupils[1].id, made[0].id


def teacher_pages(class_id: int, pupil_id: int, work_id: int) -> list[str]:
    base = f"/staff/classes/{class_id}"
    return [base, f"{base}/progress.csv", f"{base}/set-work", f"{base}/work/{work_id}",
            f"{base}/groups", f"{base}/lessons", f"{base}/lessons/{SLUG}/assess",
            f"{base}/lessons/{SLUG}/assess.csv", f"{base}/pupils/{pupil_id}",
            f"{base}/pupils/{pupil_id}/report.csv"]


def count_queries(app, client, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    real_page(response, where=url)
    return len(seen)


def test_every_teacher_page_runs_the_same_queries_for_5_pupils_as_for_60(app):
    small = make_class(app, "Year 5 Small", 5)
    big = make_class(app, "Year 5 Big", 60)
    client = app.test_client()
    sign_in(client, "teacher")
    for url_small, url_big in zip(teacher_pages(*small), teacher_pages(*big), strict=True):
        client.get(url_small)  # warm: the same start for both
        assert count_queries(app, client, url_small) == count_queries(app, client, url_big), \
            url_small
    before = count_queries(app, client, "/staff/coverage")
    with app.app_context():
        add_pupils(db.session.get(SchoolClass, big[0]), 40, "More")
        db.session.commit()
    assert count_queries(app, client, "/staff/coverage") == before
    assert count_queries(app, client, "/staff/coverage.csv") == count_queries(
        app, client, "/staff/coverage.csv")
    page = words(client.get(f"/staff/classes/{big[0]}"))
    assert "100 pupils" in page


def test_the_class_page_flags_three_wrong_first_tries_in_a_row_and_counts_first_tries(app):
    class_id, _ = y5(app)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    ks2 = f"/learn/{SLUG}"
    for step in ("intro", "words"):
        submit(pupil, f"{ks2}/step/{step}")
    submit(pupil, f"{ks2}/step/friend", {"choice": "a"})  # right
    submit(pupil, f"{ks2}/step/end")
    teacher = app.test_client()
    sign_in(teacher, "teacher")

    def alex() -> str:
        html = unescape(teacher.get(f"/staff/classes/{class_id}").get_data(as_text=True))
        stuck = html.split("Pupils who may be stuck")[1].split("</section>")[0] \
            if "Pupils who may be stuck" in html else ""
        return html.split(">Alex P.<")[-1].split("</tr>")[0], "Alex P." in stuck

    submit(pupil, f"{ks2}/quiz/best", {"answer": "b"})  # wrong
    submit(pupil, f"{ks2}/quiz/best", {"answer": "a"})  # a retry: never counted
    submit(pupil, f"{ks2}/quiz/share", {"answer": "true"})  # wrong
    row, stuck = alex()
    assert "… 33%" in row and "1 of 3 right" in row and not stuck  # 2 wrong in a row
    submit(pupil, f"{ks2}/quiz/share", {"answer": "false"})
    submit(pupil, f"{ks2}/quiz/tf2", {"answer": "false"})  # the third wrong first try
    row, stuck = alex()
    assert "1 of 4 right" in row and stuck
    submit(pupil, f"{ks2}/quiz/tf2", {"answer": "true"})
    submit(pupil, f"{ks2}/quiz/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})  # right
    row, stuck = alex()
    assert "2 of 5 right" in row and not stuck


@pytest.mark.parametrize("zone, expected", [("Europe/London", "2 Jul 2026"),
                                            ("America/New_York", "1 Jul 2026")])
def test_dates_are_stored_in_utc_and_shown_in_the_schools_time_zone(make_app, zone, expected):
    from datetime import UTC, date, datetime

    from app.teach.dates import school_date

    app = make_app(SCHOOL_TIMEZONE=zone)
    with app.app_context():
        when = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
        assert school_date(when) == expected
        assert school_date(date(2026, 12, 2), "day") == "Wed 2 Dec"
        assert school_date(date(2026, 12, 2), "iso") == "2026-12-02"
        assert school_date(None) == ""
        assert app.jinja_env.filters["school_date"] is school_date
