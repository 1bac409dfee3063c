"""KS1 "Read it to me": a button beside every text block and option, JavaScript only; on a
device with no voice it says so instead of failing silently."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .test_pupil_flows import enable_pictures_and_sign_in_sam


def test_read_it_to_me_buttons_for_ks1_and_honest_when_no_voice(make_page, real_app):
    page = make_page()
    enable_pictures_and_sign_in_sam(page)
    agreement_buttons = page.get_by_role("button", name=re.compile("^Read it to me"))
    expect(agreement_buttons).to_have_count(7)  # the title and each of the six lines
    page.get_by_role("button", name="I will do my best", exact=True).click()
    lesson = real_app.extensions["catalogue"].by_band["ks1"][0]
    page.goto(f"/learn/{lesson.slug}/")
    story = page.get_by_role("button", name="Read it to me: the story", exact=True)
    expect(story).to_be_visible()
    story.click()
    voices = page.evaluate("() => window.speechSynthesis ? speechSynthesis.getVoices().length : 0")
    if voices == 0:
        expect(story).to_have_text("No voice on this device")
        expect(story).to_have_attribute("aria-disabled", "true")
        # said kindly where the child can see it, once, with who can help instead
        note = page.locator(".say-note")
        expect(note).to_have_count(1)
        expect(note).to_have_text("This device can't read aloud. Ask a grown-up to read it "
                                  "with you.")
    else:
        expect(page.locator(".step-body .w").first).to_be_attached()
    # every option of a scenario has its own button
    page.get_by_role("button", name="Next", exact=True).click()
    while "/step/" in page.url and lesson.step(page.url.rsplit("/", 1)[1]).type == "story":
        page.get_by_role("button", name="Next", exact=True).click()
    step = lesson.step(page.url.rsplit("/", 1)[1])
    for choice in step.choices:
        expect(page.get_by_role("button", name=f"Read it to me: {choice.text}"[:74],
                                exact=False)).to_have_count(1)


def test_no_read_aloud_buttons_for_ks2_or_without_javascript(make_page):
    page = make_page()
    page.goto("/login")
    page.get_by_label("Username").fill("pupil")
    page.get_by_label("Password").fill("demo-pupil-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name=re.compile("^Read it to me"))).to_have_count(0)
    no_js = make_page(javascript=False)
    enable_pictures_and_sign_in_sam(no_js)
    expect(no_js.get_by_role("button", name=re.compile("^Read it to me"))).to_have_count(0)
