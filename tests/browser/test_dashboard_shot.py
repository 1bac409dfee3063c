"""The demo Year 5 teacher's staff home at 1280 px, saved to docs/screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from ..helpers import PASSWORDS
from .people import sign_in

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "staff-dashboard.png"


def test_teacher_dashboard_screenshot(make_page, real_app):
    page = make_page(width=1280, height=900)
    sign_in(page, "teacher", PASSWORDS["teacher"])
    page.get_by_role("button", name="I agree", exact=True).click()
    page.goto("/staff/")
    expect(page.get_by_role("heading", name="Set work").first).to_be_visible()
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)
