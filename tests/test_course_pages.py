"""The staff course pages: teacher notes per lesson and the course overview with coverage.

The app fixture runs on the small fixture course (tests/fixtures/content): one KS1 lesson
(fixture-tell, Years 1-2) and one KS2 lesson (fixture-passwords, Years 3-4).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from app.content import STRANDS, ContentError, load_catalogue
from app.content.topics import Topic, load_topics
from app.teach.course import (
    PHASES,
    course_plan,
    coverage,
    notes_questions,
    phases_of,
    topic_rows,
    years_label,
)

from .conftest import FIXTURE_CONTENT, base_config
from .helpers import sign_in

NOTES = "/staff/lessons/fixture-passwords"
COURSE = "/staff/course"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def fixture_catalogue():
    return load_catalogue(FIXTURE_CONTENT)


# --- teacher notes --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "teacher2", "admin"])
def test_teachers_and_admins_see_the_notes(client, role):
    sign_in(client, role)
    html = page(client, NOTES)
    text = text_of(html)
    assert "Strong passwords" in text
    assert "Pupils can make strong passwords." in text  # goal
    assert "I can make a password from three random words." in text
    assert "Why is a pet's name easy to guess?" in text  # discussion
    assert "Privacy and security" in text and "Conduct" in text  # strand and 4 Cs
    # misconceptions: tag and explanation
    assert "share-with-friend Thinks best friends can know passwords." in text
    assert "name-is-fine Thinks a pet's name is a strong password." in text
    # quiz with right answers
    assert "Which password is strongest? Multiple choice Right answer: bluecarrotjumping" in text
    assert "You can share your password with your best friend. True or false " \
           "Right answer: False" in text
    assert "1. Think of three random words. 2. Join them together. 3. Keep it secret." in text
    assert "Family tip Make a family password together from three random words." in text
    assert f'href="{COURSE}#lower-ks2"' in html


def test_notes_render_teacher_markdown_and_help_route(client):
    sign_in(client, "teacher")
    html = page(client, "/staff/lessons/fixture-tell")
    assert "<p>Run it as a <em>story</em> circle.</p>" in html  # cleaned at load time
    assert "the last page shows who can help" in html and "0800 1111" not in html  # KS1
    text = text_of(html)
    assert "Thinks everything needs a grown-up." in text
    # a sort question's answer names each item's group
    assert "Sort into groups" in text and "\u2192" in text


@pytest.mark.parametrize("role", ["pupil", "parent", "dsl"])
@pytest.mark.parametrize("url", [NOTES, COURSE])
def test_pupils_parents_and_leads_only_get_403(client, role, url):
    sign_in(client, role)
    response = client.get(url)
    assert response.status_code == 403
    assert "bluecarrotjumping" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [NOTES, COURSE])
def test_signed_out_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.location


def test_unknown_lesson_is_404(client):
    sign_in(client, "teacher")
    response = client.get("/staff/lessons/no-such-lesson")
    assert response.status_code == 404
    assert "We can&#39;t find that page" in response.get_data(as_text=True)


# --- course overview ------------------------------------------------------------------------


def test_overview_lists_every_lesson_with_a_link_to_its_notes(app, client):
    sign_in(client, "teacher2")
    html = page(client, COURSE)
    text = text_of(html)
    for lesson in app.extensions["catalogue"].lessons.values():
        assert f'href="/staff/lessons/{lesson.slug}">{lesson.title}</a>' in html
        for s in lesson.i_can:
            assert s.text in text
    for phase in ("Key Stage 1 (Years 1-2): 1 lesson", "Lower Key Stage 2 (Years 3-4): 1 lesson",
                  "Upper Key Stage 2 (Years 5-6): 0 lessons"):
        assert phase in text
    # phases in order, then year groups
    assert text.index("Key Stage 1 (Years 1-2)") < text.index("Lower Key Stage 2 (Years 3-4)") \
        < text.index("Upper Key Stage 2 (Years 5-6)")


def test_overview_coverage_table_counts_strands_by_phase(client):
    sign_in(client, "admin")
    html = page(client, COURSE)
    table = html[html.index('<table class="table coverage">'):]
    table = table[:table.index("</table>")]
    for name in STRANDS.values():
        assert f'<th scope="row">{name}</th>' in table
    assert "Privacy and security 0 gap 1 0 gap" in text_of(table)
    assert "Health, wellbeing and lifestyle 1 0 gap 0 gap" in text_of(table)
    assert "Online bullying 0 gap 0 gap 0 gap" in text_of(table)
    assert "Lessons in the phase 1 1 0" in text_of(table)
    assert "Gaps:" in text_of(html) and "Online bullying in Key Stage 1" in text_of(html)


def test_staff_home_links_the_course_pages_for_teachers_only(client):
    sign_in(client, "teacher")
    html = page(client, "/staff/")
    assert f'href="{COURSE}"' in html and f'href="{NOTES}"' in html
    other = client.application.test_client()
    sign_in(other, "dsl")
    html = page(other, "/staff/")
    assert f'href="{COURSE}"' not in html and "/staff/lessons/" not in html


def test_class_progress_headings_link_to_assessment_and_notes(app, client):
    from sqlalchemy import select

    from app.db import db
    from app.models import SchoolClass

    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == "Year 5 Kestrels"))
    sign_in(client, "teacher")
    # each lesson heading opens the class's assessment of it, which links the teacher notes
    assess = f"/staff/classes/{y5}/lessons/fixture-passwords/assess"
    assert f'href="{assess}"' in page(client, f"/staff/classes/{y5}")
    assert f'href="{NOTES}"' in page(client, assess)


# --- the plain functions behind the pages ---------------------------------------------------


def test_years_and_phases(fixture_catalogue):
    assert years_label([2, 1]) == "Years 1-2" and years_label([5]) == "Year 5"
    assert years_label([3, 5]) == "Years 3, 5"
    tell, pw = fixture_catalogue.lesson("fixture-tell"), fixture_catalogue.lesson(
        "fixture-passwords")
    assert [p.id for p in phases_of(tell)] == ["ks1"]
    assert [p.id for p in phases_of(pw)] == ["lower-ks2"]
    from dataclasses import replace

    assert [p.id for p in phases_of(replace(pw, years=(4, 5)))] == ["lower-ks2", "upper-ks2"]


def test_course_plan_and_coverage(fixture_catalogue):
    plan = course_plan(fixture_catalogue)
    assert [s.phase for s in plan] == list(PHASES)
    assert [[g.label for g in s.groups] for s in plan] == [["Years 1-2"], ["Years 3-4"], []]
    cov = coverage(fixture_catalogue)
    rows = {r.id: r.counts for r in cov.strands}
    assert rows["privacy-and-security"] == (0, 1, 0)
    assert rows["health-wellbeing-and-lifestyle"] == (1, 0, 0)
    assert {r.id: r.counts for r in cov.four_cs}["conduct"] == (0, 1, 0)
    assert cov.totals == (1, 1, 0)
    assert ("Copyright and ownership", "Upper Key Stage 2") in cov.gaps


def test_notes_questions_give_the_right_answers(fixture_catalogue):
    qs = notes_questions(fixture_catalogue.lesson("fixture-passwords"))
    assert [q.answer for q in qs][:2] == [["bluecarrotjumping"], ["False"]]
    assert qs[0].type_name == "Multiple choice" and qs[0].tags == ("name-is-fine",)


def test_topic_rows_show_missing_lessons(fixture_catalogue):
    topics = [Topic("passwords", "Passwords", ("fixture-passwords", "not-written-yet")),
              Topic("gap", "A gap", ())]
    rows = topic_rows(fixture_catalogue, topics)
    assert [x.slug for x in rows[0].lessons] == ["fixture-passwords"]
    assert rows[0].missing == ("not-written-yet",) and rows[1].lessons == ()


def test_topic_map_loads_and_reports_mistakes_with_lines(tmp_path: Path):
    assert load_topics(tmp_path) == ()  # no file, no topics
    (tmp_path / "lessons").mkdir()
    path = tmp_path / "lessons" / "topics.yaml"
    path.write_text("topics:\n  - id: passwords\n    name: Passwords\n"
                    "    lessons: [strong-passwords]\n    upper_ks2_only: false\n")
    assert load_topics(tmp_path) == (Topic("passwords", "Passwords", ("strong-passwords",)),)
    path.write_text("topics:\n  - id: passwords\n    name: Passwords\n"
                    "    lessons: [Strong Passwords]\n    colour: red\n")
    with pytest.raises(ContentError) as info:
        load_topics(tmp_path)
    messages = [str(p) for p in info.value.problems]
    assert "lessons/topics.yaml:5: topic passwords: unknown field 'colour'" in messages
    assert any(m.startswith("lessons/topics.yaml:4:") and "Strong Passwords" in m
               for m in messages)


def test_overview_shows_the_topic_map_when_there_is_one(make_app, tmp_path):
    import shutil

    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    (root / "lessons" / "topics.yaml").write_text(
        "topics:\n  - id: passwords\n    name: Passwords\n    lessons: [fixture-passwords]\n"
        "  - id: live-streaming\n    name: Live streaming\n    lessons: [not-yet]\n")
    app = make_app(CONTENT_DIR=str(root))
    client = app.test_client()
    sign_in(client, "teacher")
    text = text_of(page(client, COURSE))
    assert "Topics the school policies name" in text
    assert "Passwords Strong passwords (Years 3-4)" in text
    assert "Live streaming No lesson yet gap Not written yet: not-yet" in text


def test_a_malformed_topic_map_stops_the_app_saying_where(tmp_path, capsys):
    import shutil

    from app import create_app

    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    (root / "lessons" / "topics.yaml").write_text("topics:\n  - id: passwords\n    name: [\n")
    with pytest.raises(SystemExit, match="topics.yaml has 1 problem"):
        create_app(base_config(f"sqlite:///{tmp_path / 'unused.db'}", root))
    assert "lessons/topics.yaml:" in capsys.readouterr().err


# --- letter home ----------------------------------------------------------------------------

LETTER = "/staff/lessons/{slug}/letter"


def class_id(app, name: str) -> int:
    from sqlalchemy import select

    from app.db import db
    from app.models import SchoolClass

    with app.app_context():
        return db.session.scalar(select(SchoolClass.id).where(SchoolClass.name == name))


def test_the_notes_offer_a_letter_from_each_of_the_teachers_classes_of_that_band(app, client):
    sign_in(client, "teacher")
    html = page(client, NOTES)
    y5 = class_id(app, "Year 5 Kestrels")
    assert f'href="/staff/lessons/fixture-passwords/letter?class_id={y5}"' in html
    assert "Letter home from Year 5 Kestrels" in html
    assert "Letter home from Year 2 Robins" not in html  # not the teacher's class
    # the KS1 lesson: the Year 5 teacher has no class of that band
    assert "Letter home from" not in page(client, "/staff/lessons/fixture-tell")


def test_a_letter_home_from_a_class_carries_the_lesson_and_the_help_routes(app, client):
    sign_in(client, "teacher")
    y5 = class_id(app, "Year 5 Kestrels")
    html = page(client, LETTER.format(slug="fixture-passwords") + f"?class_id={y5}")
    text = text_of(html)
    assert re.search(r'<body class="[^"]*printable', html) and "data-print" in html
    assert "Demo Primary" in text and "Dear parents and carers," in text
    assert "Year 5 Kestrels has just had an online safety lesson called “Strong passwords”" in text
    assert "I can make a password from three random words." in text  # an "I can" statement
    assert "Why is a pet's name easy to guess?" in text  # the discussion question
    assert "Mrs Lindqvist" in text  # the school's safeguarding lead, by name
    assert "Childline" in text and "0800 1111" in text  # KS2
    assert "CEOP" not in text  # not a contact lesson
    assert "call 999" in text
    assert "Do not save, copy or forward a picture" in text
    assert "With thanks, Mr Adeyemi Year 5 Kestrels" in text


def test_a_ks1_letter_names_no_childline_and_needs_no_class(client):
    sign_in(client, "teacher2")
    text = text_of(page(client, LETTER.format(slug="fixture-tell")))
    assert "Your child’s class has just had an online safety lesson" in text
    assert "Childline" not in text and "CEOP" not in text
    assert "call 999" in text


def test_ceop_is_named_for_a_ks2_lesson_about_contact(fixture_catalogue):
    import dataclasses
    from datetime import date

    from app.teach.letters import FamilyLetter

    ks2 = fixture_catalogue.lesson("fixture-passwords")
    about_contact = dataclasses.replace(ks2, four_cs=("contact",))
    ks1 = fixture_catalogue.lesson("fixture-tell")
    ks1_contact = dataclasses.replace(ks1, four_cs=("contact",))
    make = lambda lesson: FamilyLetter(lesson, "School", None, "Teacher", "Lead",  # noqa: E731
                                       date(2026, 12, 1))
    assert make(about_contact).ceop and make(about_contact).childline
    assert not make(ks2).ceop
    assert not make(ks1_contact).ceop and not make(ks1_contact).childline


@pytest.mark.parametrize("query, role", [
    ("?class_id={y2}", "teacher"),     # another teacher's class
    ("?class_id={y2}", "teacher2"),    # own class, but KS1 and the lesson is KS2
    ("?class_id=999999", "admin"),     # no such class
    ("?class_id=abc", "teacher"),      # not a number
])
def test_a_letter_for_a_class_that_is_not_yours_or_not_that_band_is_not_found(app, client,
                                                                             query, role):
    sign_in(client, role)
    url = LETTER.format(slug="fixture-passwords") + query.format(y2=class_id(app, "Year 2 Robins"))
    assert client.get(url).status_code == 404


def test_no_letter_for_a_lesson_that_does_not_exist(client):
    sign_in(client, "teacher")
    assert client.get(LETTER.format(slug="no-such-lesson")).status_code == 404
