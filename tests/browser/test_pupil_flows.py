"""The two main pupil journeys in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import LessonProgress, Pupil, QuizAnswer, ScenarioChoice, User

from .walker import walk


def enable_pictures_and_sign_in_sam(page) -> None:
    """The class teacher turns this tablet into picture sign-in; Sam taps his pictures."""
    page.goto("/login")
    page.get_by_label("Username").fill("teacher2")
    page.get_by_label("Password").fill("demo-teacher-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="I agree", exact=True).click()
    page.get_by_role("link", name="Picture sign-in on this device", exact=True).click()
    page.get_by_label("Class for picture sign-in on this device").select_option(
        label="Year 2 Robins")
    page.get_by_role("button", name="Turn on picture sign-in", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Year 2 Robins")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # Sam taps his name and his three pictures
    page.get_by_role("link", name="Tap here to sign in with pictures", exact=True).click()
    page.get_by_role("link", name="Sam K.", exact=True).click()
    for picture in ("cat", "sun", "tree"):
        page.get_by_role("button", name=picture, exact=True).tap()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_ks1_pupil_signs_in_with_pictures_accepts_agreement_and_finishes_a_lesson(
        make_page, javascript, real_app):
    page = make_page(javascript=javascript)
    enable_pictures_and_sign_in_sam(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My promise for being online")
    page.get_by_role("button", name="I will do my best", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Sam!")

    catalogue = real_app.extensions["catalogue"]
    lesson = catalogue.by_band["ks1"][0]
    page.get_by_role("link", name=lesson.title).click()
    scenario = next(s.id for s in lesson.steps if s.type == "scenario")
    walk(page, lesson, weak_first={scenario})
    page.get_by_role("link", name="Back to my lessons", exact=True).click()
    expect(page.locator(".lesson-card.is-done")).to_have_count(1)

    with real_app.app_context():
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
        row = db.session.scalar(select(LessonProgress).where(LessonProgress.pupil_id == sam.id))
        assert row.lesson_slug == lesson.slug and row.completed_at is not None
        choices = list(db.session.scalars(select(ScenarioChoice).where(
            ScenarioChoice.pupil_id == sam.id).order_by(ScenarioChoice.id)))
        assert choices[0].safe is False and choices[0].misconception
        answers = list(db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.pupil_id == sam.id)))
        assert {a.question_id for a in answers} == {q.id for q in lesson.quiz.questions}
        assert all(a.correct for a in answers)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_ks2_pupil_answers_a_quiz_wrongly_then_rightly_and_answers_are_recorded(
        make_page, javascript, real_app):
    page = make_page(javascript=javascript)
    page.goto("/")
    page.get_by_label("Username").fill("pupil")
    page.get_by_label("Password").fill("demo-pupil-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Our agreement for using the internet")
    page.get_by_role("button", name="I agree", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Alex!")

    lesson = real_app.extensions["catalogue"].by_band["ks2"][0]
    page.get_by_role("link", name=lesson.title).click()
    first, *rest = lesson.quiz.questions
    walk(page, lesson, wrong_first={q.id for q in lesson.quiz.questions})

    with real_app.app_context():
        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        answers = list(db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.pupil_id == alex.id).order_by(QuizAnswer.id)))
        expected = []
        for q in lesson.quiz.questions:
            expected += [(q.id, False, 1), (q.id, True, 2)]
        assert [(a.question_id, a.correct, a.attempt) for a in answers] == expected
        assert all(a.misconception for a in answers if not a.correct)
        row = db.session.scalar(select(LessonProgress).where(LessonProgress.pupil_id == alex.id))
        assert row.completed_at is not None
