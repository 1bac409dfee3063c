"""Printed pages in a real browser: the letter home prints as the letter alone, the print button
works with JavaScript and gives way to a hint without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .test_accessibility import sign_in


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_letter_home_prints_the_letter_alone(make_page, real_app, javascript):
    lesson = real_app.extensions["catalogue"].by_band["ks2"][0]
    page = make_page(javascript=javascript)
    sign_in(page, "teacher", "demo-teacher-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    page.goto(f"/staff/lessons/{lesson.slug}")
    page.get_by_role("link", name="Letter home from Year 5 Kestrels", exact=True).click()
    letter = page.get_by_role("article", name="Letter to families")
    expect(letter).to_contain_text(lesson.family_tip)
    button = page.get_by_role("button", name="Print this letter", exact=True)
    hint = page.get_by_text("use your browser's Print command")
    if javascript:
        expect(button).to_be_visible()
        expect(hint).to_be_hidden()
    else:
        expect(button).to_be_hidden()
        expect(hint).to_be_visible()

    page.emulate_media(media="print")
    expect(letter).to_be_visible()
    for chrome in (page.locator(".site-header"), page.locator(".letter-tools")):
        expect(chrome).to_be_hidden()
    # the whole letter fits on one sheet of A4
    assert len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(format="A4"))) == 1
