"""The "explain why" question through HTTP: the pupil chooses a reason (no free text), gets
that reason's feedback, and the teacher's notes and report read which reason was chosen."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from app.db import db
from app.models import QuizAnswer

from .conftest import FIXTURE_CONTENT
from .helpers import sign_in, submit

KS2 = "/learn/fixture-passwords"
EXPLAIN = """  - id: why-secret
    type: explain
    prompt: Asha keeps her password to herself. Why is that a good idea?
    reasons:
      - text: Because then nobody else can get into her account.
        correct: true
        feedback: That's it. A password only works if it stays secret.
      - text: Because her best friend would forget it anyway.
        feedback: Even a best friend should not know it, forgetful or not.
        misconception: share-with-friend
      - text: Because her name is a good password.
        feedback: A name is easy to guess. Use three random words.
        misconception: name-is-fine
"""


@pytest.fixture
def explain_app(make_app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    quiz = root / "quizzes" / "ks2" / "fixture-passwords.yaml"
    quiz.write_text(quiz.read_text() + EXPLAIN)
    return make_app(CONTENT_DIR=str(root))


def _to_the_explain_question(c) -> None:
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    submit(c, f"{KS2}/quiz/best", {"answer": "a"})
    submit(c, f"{KS2}/quiz/share", {"answer": "false"})
    submit(c, f"{KS2}/quiz/tf2", {"answer": "true"})
    submit(c, f"{KS2}/quiz/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})


def test_a_pupil_chooses_a_reason_and_gets_its_feedback(explain_app):
    c = explain_app.test_client()
    sign_in(c, "pupil")
    _to_the_explain_question(c)
    page = c.get(f"{KS2}/quiz/why-secret").get_data(as_text=True)
    assert "Why? Choose the best reason." in page
    assert page.count('name="answer"') == 3 and "<textarea" not in page
    assert 'type="text"' not in page.split('class="answer-form"')[1]

    missing = submit(c, f"{KS2}/quiz/why-secret", {})
    assert missing.status_code == 400 and "Choose one reason." in missing.get_data(as_text=True)

    wrong = submit(c, f"{KS2}/quiz/why-secret", {"answer": "b"})
    page = c.get(wrong.location).get_data(as_text=True)
    assert "Not quite." in page and "Even a best friend should not know it" in page
    right = submit(c, f"{KS2}/quiz/why-secret", {"answer": "a"})
    page = c.get(right.location).get_data(as_text=True)
    assert "That's right!" in page and "A password only works if it stays secret." in page
    with explain_app.app_context():
        answers = db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.question_id == "why-secret").order_by(QuizAnswer.id)).all()
        assert [(a.correct, a.misconception, a.first_try) for a in answers] == [
            (False, "share-with-friend", True), (True, None, False)]
        assert answers[0].answer == {"option": "b", "text": "Because her best friend would "
                                                            "forget it anyway."}


def test_the_class_report_reads_the_reason_pupils_chose(explain_app):
    from app.models import Pupil, SchoolClass, User

    pupil = explain_app.test_client()
    sign_in(pupil, "pupil")
    _to_the_explain_question(pupil)
    submit(pupil, f"{KS2}/quiz/why-secret", {"answer": "c"})
    with explain_app.app_context():
        class_id = db.session.scalar(select(SchoolClass.id).join(Pupil).join(User).where(
            User.username == "pupil"))
    teacher = explain_app.test_client()
    sign_in(teacher, "teacher")
    page = teacher.get(f"/staff/classes/{class_id}/lessons/fixture-passwords/assess")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Asha keeps her password to herself. Why is that a good idea?" in text
    assert "\u201cBecause her name is a good password.\u201d (1)" in text
    assert "name is a strong password" in text  # the misconception, in the teacher's words


def test_the_teacher_notes_show_the_best_reason(explain_app):
    c = explain_app.test_client()
    sign_in(c, "teacher")
    page = c.get("/staff/lessons/fixture-passwords").get_data(as_text=True)
    assert "Explain why (choose the reason)" in page
    assert "Because then nobody else can get into her account." in page
