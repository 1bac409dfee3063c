"""The levelling rule of docs/assessment.md, line by line, its worked example through the
site, the optional content fields it reads, and the migration's first-try backfill."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from app.content import ContentError
from app.content.loader import load_catalogue
from app.db import db
from app.models import Pupil, SchoolClass, User
from app.teach.assessment import (
    Evidence,
    Try,
    items_for,
    judge,
    recent_of,
    stuck_reasons,
    think,
)

from .conftest import FIXTURE_CONTENT
from .helpers import sign_in, submit

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ITEMS = ["s:friend", "q:best", "q:share", "q:tf2", "q:order"]
KS2 = "/learn/fixture-passwords"


def tries(*spec: tuple[str, bool, str | None]) -> list[Try]:
    return [Try(item, ok, tag, T0 + timedelta(minutes=i)) for i, (item, ok, tag) in
            enumerate(spec)]


@pytest.mark.parametrize("evidence, level, tag", [
    # 1. no first try at any item: not yet assessed
    ([], None, None),
    ([("q:elsewhere", False, "x")], None, None),
    # 2. the same misconception on two wrong first tries, whatever the score
    ([("s:friend", False, "share"), ("q:best", True, None), ("q:share", False, "share"),
      ("q:tf2", True, None), ("q:order", True, None)], "misconception", "share"),
    # 3. at least 80% with every item tried
    ([("s:friend", True, None), ("q:best", True, None), ("q:share", False, "share"),
      ("q:tf2", True, None), ("q:order", True, None)], "secure", None),
    ([(i, True, None) for i in ITEMS], "secure", None),
    # 4. at least 50%, or 80%+ with items still to try
    ([("s:friend", True, None), ("q:best", True, None)], "developing", None),
    ([("s:friend", False, "share"), ("q:best", True, None)], "developing", None),
    ([("s:friend", True, None), ("q:best", True, None), ("q:share", False, "a"),
      ("q:tf2", False, "b")], "developing", None),
    # 5. under 50%: the most frequent misconception, the earliest in the lesson on a tie...
    ([("q:best", True, None), ("q:share", False, "b"), ("s:friend", False, "a"),
      ("q:order", False, None)], "misconception", "a"),
    # ... or emerging when no wrong first try names one
    ([("q:best", False, None), ("q:share", False, None), ("q:tf2", True, None)],
     "emerging", None),
])
def test_the_rule(evidence, level, tag):
    j = judge(tries(*evidence), ITEMS)
    assert (j.level, j.misconception) == (level, tag)
    assert j.items == 5 and j.tried == len([e for e in evidence if e[0] in ITEMS])


def test_only_the_statements_items_count():
    j = judge(tries(("q:best", True, None), ("q:other", False, "x")), ["q:best"])
    assert (j.level, j.correct, j.tried) == ("secure", 1, 1)


@pytest.mark.parametrize("words, plain", [
    ("Thinks best friends can know passwords.", "think best friends can know passwords"),
    ("Believes adverts are facts.", "believe adverts are facts"),
    ("Clicks the first link straight away.", ": Clicks the first link straight away"),
])
def test_misconceptions_in_plain_words(words, plain):
    assert think(words) == plain


def test_stuck_three_wrong_first_tries_in_a_row_or_a_lesson_left_for_two_weeks():
    lesson = load_catalogue(FIXTURE_CONTENT).lesson("fixture-passwords")
    lessons = {lesson.slug: lesson}
    ev = Evidence(tries={1: {lesson.slug: tries(("q:best", True, None), ("q:share", False, "a"),
                                                ("q:tf2", False, "a"), ("q:order", False, "a"))},
                         2: {lesson.slug: tries(("q:share", False, "a"), ("q:tf2", False, "a"),
                                                ("q:order", True, None))}})
    assert recent_of(ev, 1, lessons) == [False, False, False, True]
    assert stuck_reasons(recent_of(ev, 1, lessons), {}, lessons, T0) == [
        "their last 3 first tries were all wrong"]
    assert stuck_reasons(recent_of(ev, 2, lessons), {}, lessons, T0) == []
    assert stuck_reasons([False, False], {}, lessons, T0) == []

    class Row:
        completed_at = None
        updated_at = T0 - timedelta(days=15)

    assert stuck_reasons([], {lesson.slug: Row()}, lessons, T0) == [
        "started \u201cStrong passwords\u201d and left it 15 days ago"]
    Row.updated_at = T0 - timedelta(days=13)
    assert stuck_reasons([], {lesson.slug: Row()}, lessons, T0) == []
    Row.updated_at, Row.completed_at = T0 - timedelta(days=30), T0
    assert stuck_reasons([], {lesson.slug: Row()}, lessons, T0) == []


def test_the_worked_example_through_the_site(app):
    """Priya's first tries from docs/assessment.md, given by a pupil of the class."""
    from app.demo import add_pupils
    from app.models import LessonProgress, QuizAnswer, ScenarioChoice

    with app.app_context():
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 5 Kestrels"))
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        # only Alex's tries in this class: the demo pupils' learning is moved out of the way
        others = [p.id for p in db.session.scalars(select(Pupil).where(
            Pupil.class_id == y5.id, Pupil.id != alex.id))]
        for model in (QuizAnswer, ScenarioChoice, LessonProgress):
            db.session.execute(model.__table__.delete().where(model.pupil_id.in_(others)))
        add_pupils(y5, 1, "Newcomer")
        db.session.commit()
        y5_id = y5.id
    c = app.test_client()
    sign_in(c, "pupil")
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "b"})  # tells them: share-with-friend
    submit(c, f"{KS2}/step/friend", {"choice": "a"})  # a second try teaches, never counts
    submit(c, f"{KS2}/step/end")
    submit(c, f"{KS2}/quiz/best", {"answer": "a"})  # right
    submit(c, f"{KS2}/quiz/share", {"answer": "true"})  # wrong: share-with-friend
    submit(c, f"{KS2}/quiz/share", {"answer": "false"})
    submit(c, f"{KS2}/quiz/tf2", {"answer": "true"})  # right
    submit(c, f"{KS2}/quiz/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})  # right
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    page = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", teacher.get(
        f"/staff/classes/{y5_id}/lessons/fixture-passwords/assess").get_data(as_text=True))))
    assert "1 of 1 think best friends can know passwords." in page
    assert "Pupils: Alex P." in page
    assert "Shows a misconception: Thinks best friends can know passwords. (3/5)" in page
    assert "1 of 2 pupils have had a first try" not in page  # counted among those who tried
    assert "Reteach idea: Talk it through again: Why is a pet's name easy to guess?" in page
    grid = unescape(teacher.get(f"/staff/classes/{y5_id}").get_data(as_text=True))
    row = grid.split(">Alex P.<")[1].split("</tr>")[0]
    assert "cell-started" in row and "✓" not in row  # the quiz is not finished yet
    assert "… 60%" in row and "3 of 5 right" in row  # first tries only


# --- the optional content fields ------------------------------------------------------------

@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


LESSON = "lessons/ks2/fixture-passwords.yaml"
QUIZ = "quizzes/ks2/fixture-passwords.yaml"


def test_questions_and_scenarios_may_name_their_statements_and_notes_a_reteach_idea(content):
    edit(content, QUIZ, "  - id: share\n", "  - id: share\n    i_can: [keep-private]\n")
    edit(content, LESSON, "    type: scenario\n", "    type: scenario\n    i_can: [keep-private]\n")
    edit(content, LESSON, "  discussion: Why is a pet's name easy to guess?\n",
         "  discussion: Why is a pet's name easy to guess?\n  reteach:\n"
         "    share-with-friend: Role-play a friend asking; practise saying no kindly.\n"
         "    lesson: Make three-word passwords in pairs.\n")
    lesson = load_catalogue(content).lesson("fixture-passwords")
    assert items_for(lesson, "keep-private") == ["s:friend", "q:best", "q:share", "q:tf2",
                                                 "q:order"]
    assert items_for(lesson, "three-words") == ["q:best", "q:tf2", "q:order"]
    notes = lesson.teacher_notes
    assert notes.reteach_idea("share-with-friend").startswith("Role-play a friend")
    assert notes.reteach_idea("name-is-fine") == "Make three-word passwords in pairs."


def test_a_lesson_without_the_new_fields_still_loads_with_every_statement_per_item():
    lesson = load_catalogue(FIXTURE_CONTENT).lesson("fixture-passwords")
    assert items_for(lesson, "three-words") == items_for(lesson, "keep-private") == ITEMS


@pytest.mark.parametrize("rel, old, new, message", [
    (QUIZ, "  - id: share\n", "  - id: share\n    i_can: [no-such]\n",
     "quizzes/ks2/fixture-passwords.yaml:19: question 2 (share): 'i_can' names 'no-such', "
     "which is not an 'I can' statement of lessons/ks2/fixture-passwords.yaml"),
    (LESSON, "    type: scenario\n", "    type: scenario\n    i_can: [Bad Id]\n",
     "'i_can' entry 1 should be an id"),
    (LESSON, "    type: scenario\n", "    type: scenario\n    i_can: [nope]\n",
     "'i_can' names 'nope', which is not one of this lesson's 'I can' statements"),
    (LESSON, "    type: scenario\n", "    type: scenario\n    i_can: []\n",
     "'i_can' is empty; leave it out to mean every statement"),
    (LESSON, "  discussion: Why is a pet's name easy to guess?\n",
     "  discussion: Why is a pet's name easy to guess?\n  reteach:\n    not-a-tag: Try.\n",
     "reteach names misconception 'not-a-tag', which is not declared"),
    (LESSON, "  discussion: Why is a pet's name easy to guess?\n",
     "  discussion: Why is a pet's name easy to guess?\n  reteach: [a, b]\n",
     "'reteach' should be text, or a mapping"),
])
def test_mistakes_in_the_new_fields_are_reported_with_file_and_line(content, rel, old, new,
                                                                     message):
    edit(content, rel, old, new)
    with pytest.raises(ContentError) as caught:
        load_catalogue(content)
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


# --- the migration backfill -----------------------------------------------------------------

def test_the_migration_marks_first_tries_in_answers_given_before_it(tmp_path):
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0003")
    engine = create_engine(url)
    now = "2026-11-01 10:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schools (id, name, slug, created_at) VALUES "
                          "(1, 'S', 's', :t)"), {"t": now})
        conn.execute(text("INSERT INTO school_classes (id, school_id, name, year_group, "
                          "created_at) VALUES (1, 1, 'C', 5, :t)"), {"t": now})
        conn.execute(text("INSERT INTO users (id, school_id, kind, display_name, enabled, "
                          "failed_logins, created_at) VALUES (1, 1, 'pupil', 'P', 1, 0, :t)"),
                     {"t": now})
        conn.execute(text("INSERT INTO pupils (id, school_id, user_id, first_name, "
                          "surname_initial, year_group, class_id, status, created_at) VALUES "
                          "(1, 1, 1, 'P', 'Q', 5, 1, 'active', :t)"), {"t": now})
        for attempt in (1, 2):
            conn.execute(text(
                "INSERT INTO quiz_answers (school_id, pupil_id, lesson_slug, quiz_slug, "
                "question_id, answer, correct, attempt, created_at) VALUES (1, 1, 'l', 'l', "
                "'q', '{}', :ok, :a, :t)"), {"ok": attempt == 2, "a": attempt, "t": now})
        for step, choice in (("s1", "b"), ("s1", "a"), ("s2", "a")):
            conn.execute(text(
                "INSERT INTO scenario_choices (school_id, pupil_id, lesson_slug, step_id, "
                "choice, safe, created_at) VALUES (1, 1, 'l', :s, :c, :safe, :t)"),
                {"s": step, "c": choice, "safe": choice == "a", "t": now})
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT attempt, first_try, baseline FROM quiz_answers "
                                 "ORDER BY id")).all() == [(1, 1, 0), (2, 0, 0)]
        assert conn.execute(text("SELECT step_id, choice, first_try FROM scenario_choices "
                                 "ORDER BY id")).all() == [("s1", "b", 1), ("s1", "a", 0),
                                                           ("s2", "a", 1)]
    engine.dispose()
