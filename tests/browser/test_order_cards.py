"""KS1 "put in order" with big tappable cards (issue 15, item 3): Sam taps the cards in the
order they happen, on a phone-sized screen, and his answer is marked right."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import Pupil, QuizAnswer

from .test_layouts import OVERLAPS, finish_lesson
from .test_pupil_flows import enable_pictures_and_sign_in_sam

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "ks1-order-cards.png"


def test_sam_puts_things_in_order_by_tapping_cards(make_page, real_app):
    lesson = next(x for x in real_app.extensions["catalogue"].by_band["ks1"]
                  if any(q.type == "order" for q in x.quiz.questions))
    question = next(q for q in lesson.quiz.questions if q.type == "order")
    sam_id = finish_lesson(real_app, lesson, Pupil.first_name == "Sam")
    page = make_page(width=390, height=844)
    enable_pictures_and_sign_in_sam(page)
    page.get_by_role("button", name="I will do my best", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Sam!")
    page.goto(f"/learn/{lesson.slug}/quiz/{question.id}")

    first, second = question.items[0], question.items[1]
    page.get_by_role("button", name=f"{first}: tap to put it next.", exact=True).tap()
    expect(page.get_by_role("button", name=f"{first}: number 1. Tap to take it out.",
                            exact=True)).to_be_visible()
    # a second tap takes a card out again, and the next tap gives the lowest free number
    page.get_by_role("button", name=f"{second}: tap to put it next.", exact=True).tap()
    page.get_by_role("button", name=f"{second}: number 2. Tap to take it out.",
                     exact=True).tap()
    expect(page.get_by_role("status").or_(page.locator("[aria-live]")).first).to_contain_text(
        "taken out")
    for item in question.items[1:]:
        page.get_by_role("button", name=f"{item}: tap to put it next.", exact=True).tap()
    for n, item in enumerate(question.items, start=1):
        expect(page.get_by_label(item, exact=True)).to_have_value(str(n))  # the select agrees
    assert page.evaluate(OVERLAPS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)
    page.get_by_role("button", name="Check my answer", exact=True).tap()
    expect(page.get_by_role("status")).to_contain_text("That's right!")

    with real_app.app_context():
        [answer] = db.session.scalars(select(QuizAnswer).where(
            QuizAnswer.pupil_id == sam_id, QuizAnswer.question_id == question.id))
        assert answer.correct and answer.first_try
