"""Report a worry in a real browser: Sam taps pictures; the lead handles it to closure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import Pupil, Worry

from .people import sign_in
from .test_pupil_flows import enable_pictures_and_sign_in_sam


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_ks1_worry_with_pictures_then_the_lead_handles_it_and_the_audit_shows_it(
        make_page, javascript, real_app):
    page = make_page(javascript=javascript)
    enable_pictures_and_sign_in_sam(page)
    page.get_by_role("button", name="I will do my best", exact=True).tap()
    page.get_by_role("link", name="Report a worry", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("What is your worry about?")
    page.get_by_role("button", name="I saw something that upset me", exact=True).tap()
    page.get_by_text("About me").tap()
    page.get_by_text("Scared").tap()
    page.get_by_role("button", name="Next", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Do you want to talk to a grown-up today?")
    page.get_by_role("button", name="Yes, please", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you. Your worry was sent.")
    expect(page.get_by_text("Mrs Lindqvist will read it.")).to_be_visible()
    expect(page.get_by_text("0800 1111")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    with real_app.app_context():
        worry = db.session.scalar(select(Worry))
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
        assert (worry.kind, worry.about, worry.feeling, worry.wants_to_talk) == (
            "upsetting", "me", "scared", True)
        assert worry.about_pupil_id == sam.id and worry.words is None

    sign_in(page, "dsl", "demo-dsl-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    badge = page.get_by_role("link", name="Safeguarding inbox 1 unread", exact=True)
    expect(badge).to_be_visible()
    badge.click()
    page.get_by_role("link", name="New: I saw something that upset me", exact=True).click()
    expect(page.locator("ol.timeline")).to_contain_text("Marked as read")
    page.get_by_label("Action taken").select_option(label="Spoke with the child")
    page.get_by_label("Notes").fill("Talked with Sam and his grandad; video reported.")
    page.get_by_role("button", name="Save action", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Saved to the record.")
    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_role("button", name="Save status", exact=True).click()
    refusal = page.get_by_text("A closing note is required to close a worry.", exact=True)
    expect(refusal).to_be_visible()
    page.get_by_label("Note (required to close").fill("Resolved; family supported.")
    page.get_by_role("button", name="Save status", exact=True).click()
    expect(page.get_by_text("Status: Closed", exact=False).first).to_be_visible()

    page.get_by_role("link", name="Audit log", exact=True).click()
    table = page.get_by_role("table")
    for text in ("listed 1 worries", "marked as read", "action recorded: Spoke with the child",
                 "status set to closed"):
        expect(table).to_contain_text(text)
