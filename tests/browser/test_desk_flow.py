"""The lead's desk in a real browser, as the issue's "Done when" tries it: Sam raises a worry
and his teacher a concern about the same incident; the lead sees both at the top, links them
into one case, gives the deputy an action with a due date, replies to Sam, closes both with
an outcome the teacher sees, prints the governors' report and produces a transfer package."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import Pupil, TransferRecord, Worry, WorryEntry
from app.schooltime import today

from .people import sign_in
from .test_pupil_flows import enable_pictures_and_sign_in_sam


def test_the_lead_desk_from_two_reports_to_a_closed_case_and_a_transfer(make_page, real_app):
    page = make_page(width=1280, height=900)
    enable_pictures_and_sign_in_sam(page)
    page.get_by_role("button", name="I will do my best", exact=True).tap()
    page.get_by_role("link", name="Report a worry", exact=True).tap()
    page.get_by_role("button", name="Someone was unkind", exact=True).tap()
    page.get_by_text("About me").tap()
    page.get_by_role("button", name="Next", exact=True).tap()
    page.get_by_role("button", name="Yes, please", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you. Your worry was sent.")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # the Year 2 teacher records a concern about the same incident
    sign_in(page, "teacher2", "demo-teacher-pass")
    page.goto("/safeguarding/concern")
    page.get_by_label("Pupil").select_option(label="Sam K. (Year 2 Robins)")
    page.get_by_label("Kind of concern").select_option(label="Someone was unkind")
    page.get_by_label("What you saw or were told").fill(
        "Sam was crying after break about messages in a game chat.")
    page.get_by_role("button", name="Send to the safeguarding lead", exact=True).click()
    expect(page.get_by_text("Received", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    # the lead: both at the top, Sam's flagged "wants to talk today"
    sign_in(page, "dsl", "demo-dsl-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    expect(page.get_by_role("heading", name="Safeguarding desk")).to_be_visible()
    expect(page.get_by_text("2 unread worries")).to_be_visible()
    page.get_by_role("link", name="Open the inbox", exact=True).click()
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Wants to talk today")
    expect(rows.nth(0)).to_contain_text("Sam K.")
    expect(rows.nth(1)).to_contain_text("Staff concern")
    rows.nth(0).get_by_role("link").click()

    link = page.get_by_label("Link another record about the same incident")
    link.select_option(index=1)
    page.get_by_role("button", name="Link into this case", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Saved to the record.")
    expect(page.locator("ol.timeline")).to_contain_text("Linked with record")

    with real_app.app_context():
        due = (today() + timedelta(days=1)).isoformat()
    page.get_by_label("Action taken").select_option(label="Spoke with the child")
    page.get_by_label("Owner (a lead or deputy)").select_option(label="Mr Okafor")
    page.get_by_label("Due by (optional)").fill(due)
    page.get_by_label("Notes", exact=True).fill("Mr Okafor to talk with Sam after lunch.")
    page.get_by_role("button", name="Save action", exact=True).click()
    expect(page.locator("ol.timeline")).to_contain_text("owner Mr Okafor")

    page.get_by_label("Mrs Lindqvist will come and find you today.").check()
    page.get_by_role("button", name="Send the reply", exact=True).click()
    expect(page.locator("ol.timeline")).to_contain_text("Reply to the child:")

    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_label("Note (required to close").fill("Chat blocked; family told.")
    page.get_by_role("button", name="Save status", exact=True).click()
    expect(page.get_by_text("Status: Closed").first).to_be_visible()

    # the concern, in the same case: an outcome line for the teacher, then closed
    page.get_by_role("link", name="staff concern", exact=False).first.click()
    page.get_by_label("Outcome line (up to 200 characters)").fill(
        "Thank you: Sam has been spoken with and his family told.")
    page.get_by_role("button", name="Share the outcome line", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Saved to the record.")
    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_label("Note (required to close").fill("Handled with the linked worry.")
    page.get_by_role("button", name="Save status", exact=True).click()

    page.get_by_role("link", name="Report for governors", exact=True).click()
    page.get_by_role("link", name="Printable report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Safeguarding report for leaders and governors")
    expect(page.get_by_text("fewer than 5").first).to_be_visible()

    with real_app.app_context():
        sam = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
        leaving = (today() + timedelta(days=2)).isoformat()
    page.goto(f"/safeguarding/pupils/{sam}/transfer")
    page.get_by_label("Receiving school").fill("Hill Top Primary")
    page.get_by_role("button", name="Produce the package", exact=True).click()
    expect(page.get_by_text("is still on roll with no leaving date").first).to_be_visible()
    page.locator("#leaving_on").fill(leaving)
    page.get_by_role("button", name="Produce the package", exact=True).click()
    expect(page.get_by_role("heading", name="Package 1 for Hill Top Primary")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    # the teacher sees the status and the outcome line, never the record
    sign_in(page, "teacher2", "demo-teacher-pass")
    page.goto("/safeguarding/concerns/mine")
    expect(page.get_by_text("Closed", exact=True)).to_be_visible()
    expect(page.get_by_text("Sam has been spoken with and his family told.")).to_be_visible()
    expect(page.get_by_text("Chat blocked")).to_have_count(0)

    with real_app.app_context():
        assert db.session.scalar(select(TransferRecord.receiving_school)) == "Hill Top Primary"
        kinds = sorted(db.session.scalars(select(WorryEntry.kind)))
        assert kinds.count("status") == 2 and "link" in kinds and "reply" in kinds
        assert len(list(db.session.scalars(select(Worry.id)))) == 2
