"""Learning at home in a real browser: the teacher prints Sam's home card; on the family's
own device (a fresh browser) the code turns on picture sign-in for Sam only, Sam signs in
with his pictures and carries on a lesson his teacher set; a parent builds, saves and prints
the family agreement."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import Assignment, LessonProgress, Pupil, SchoolClass, User

from .people import sign_in
from .test_accessibility import SIZES, Checker


def print_sams_home_card(page, real_app) -> str:
    sign_in(page, "teacher2", "demo-teacher-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    with real_app.app_context():
        robins = db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == "Year 2 Robins"))
    page.goto(f"/staff/classes/{robins}")
    page.get_by_role("link", name="Home cards", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("Sam K."))).to_contain_text(
        "No working card")
    page.get_by_role("button", name="Print a card for Sam", exact=True).click()
    card = page.locator(".home-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Sam K.")
    expect(card.locator("svg").nth(1)).to_be_visible()  # the QR code (after Sam's mark)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(card).to_be_visible()
    page.emulate_media(media="screen")
    return card.locator("[data-home-code]").inner_text().strip()


def set_a_lesson_for_robins(real_app):
    """Sam's teacher sets the class a lesson of the real course, to do at home this week."""
    lesson = [x for x in real_app.extensions["catalogue"].by_band["ks1"]
              if x.visible_to_year(2)][1]
    with real_app.app_context():
        robins = db.session.scalar(select(SchoolClass).where(
            SchoolClass.name == "Year 2 Robins"))
        teacher = db.session.scalar(select(User).where(User.username == "teacher2"))
        db.session.add(Assignment(school_id=robins.school_id, class_id=robins.id,
                                  lesson_slug=lesson.slug, kind="lesson", target="class",
                                  due_on=date.today() + timedelta(days=5),
                                  note="Do this one at home with a grown-up.",
                                  set_by_id=teacher.id))
        db.session.commit()
    return lesson


def test_a_home_card_lets_sam_sign_in_at_home_and_carry_on_set_work(make_page, real_app):
    lesson = set_a_lesson_for_robins(real_app)
    teacher = make_page()
    code = print_sams_home_card(teacher, real_app)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)

    home = make_page(width=390, height=844)  # the family's phone: nothing shared with school
    home.goto("/login/pictures")
    expect(home.get_by_role("heading", level=1)).to_have_text(
        "Picture sign-in is not turned on here")
    home.get_by_role("link", name="Type a home card code", exact=True).click()
    home.get_by_label("The code on the home card").fill("wrong-code")
    home.get_by_role("button", name="Turn on picture sign-in here", exact=True).click()
    expect(home.get_by_role("alert")).to_contain_text("That code does not work")
    home.get_by_label("The code on the home card").fill(code.lower())
    home.get_by_role("button", name="Turn on picture sign-in here", exact=True).click()
    expect(home.get_by_role("status").first).to_contain_text("Picture sign-in is on for Sam")
    names = home.locator(".name-grid .name-button")
    expect(names).to_have_count(1)  # Sam only, never his classmates
    expect(names.first).to_have_text("Sam K.")
    expect(names.first.locator("svg.name-mark")).to_be_visible()  # his picture by his name

    home.get_by_role("link", name="Sam K.", exact=True).click()
    for picture in ("cat", "sun", "tree"):
        home.get_by_role("button", name=picture, exact=True).tap()
    home.get_by_role("button", name="I will do my best", exact=True).tap()
    expect(home.get_by_role("heading", level=1)).to_have_text("Hello Sam!")

    with real_app.app_context():
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
    item = home.locator(".set-work-item").filter(has_text=lesson.title).filter(
        has_not_text="Quick check")
    expect(item).to_contain_text("Do this one at home with a grown-up.")
    item.get_by_role("link").first.click()
    expect(home.get_by_text(re.compile(r"Step 1 of \d+"))).to_be_visible()
    home.get_by_role("button", name="Next", exact=True).click()
    expect(home.get_by_text(re.compile(r"Step 2 of \d+"))).to_be_visible()

    # the next day: signed out, Sam signs in again and carries on where he left off
    home.get_by_role("button", name="Sign out", exact=True).click()
    home.get_by_role("link", name="Tap here to sign in with pictures", exact=True).click()
    home.get_by_role("link", name="Sam K.", exact=True).click()
    for picture in ("cat", "sun", "tree"):
        home.get_by_role("button", name=picture, exact=True).tap()
    expect(home.locator(".set-work-item").filter(has_text=lesson.title).filter(
        has_not_text="Quick check")).to_contain_text("Started")
    home.get_by_role("link", name="Carry on", exact=True).first.click()
    expect(home.get_by_text(re.compile(r"Step 2 of \d+"))).to_be_visible()
    with real_app.app_context():
        row = db.session.scalar(select(LessonProgress).where(
            LessonProgress.pupil_id == sam.id, LessonProgress.lesson_slug == lesson.slug))
        assert row is not None and row.completed_at is None

    # the school sees the card in use
    teacher.goto(f"/home-cards/classes/{sam.class_id}")
    expect(teacher.get_by_role("row", name=re.compile("Sam K."))).to_contain_text(
        "On 1 device, last used")


def test_a_parent_builds_saves_and_prints_the_family_agreement(make_page):
    page = make_page()
    sign_in(page, "parent", "demo-parent-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Parent and carer agreement")
    page.get_by_role("button", name="I agree", exact=True).click()
    page.get_by_role("link", name="Make a family agreement").click()
    page.get_by_label("Whose agreement is this? (optional)").fill("The Parker family")
    page.get_by_label("Screens go off an hour before bedtime.").check()
    page.get_by_label("We will listen and stay calm when you tell us something.").check()
    page.get_by_label("Games, apps and videos: rules of your own, one a line").fill(
        "Minecraft in creative mode\nNo new apps without asking")
    page.get_by_role("button", name="Save our agreement", exact=True).click()
    agreement = page.locator("article.family-agreement")
    expect(agreement.get_by_role("heading", level=1)).to_have_text(
        "The Parker family: our family agreement for being online")
    for rule in ("Screens go off an hour before bedtime.", "Minecraft in creative mode",
                 "No new apps without asking",
                 "We will listen and stay calm when you tell us something."):
        expect(agreement).to_contain_text(rule)
    expect(page.get_by_role("button", name="Print our agreement", exact=True)).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print our agreement")).to_be_hidden()
    expect(agreement).to_be_visible()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(format="A4"))) <= 2
    page.emulate_media(media="screen")
    # saved for this family: it is there next time
    page.goto("/family/agreement")
    expect(page.get_by_label("Screens go off an hour before bedtime.")).to_be_checked()
    # and a guide reads and prints
    page.goto("/family/guides")
    page.get_by_role("link", name=re.compile("^Who to tell")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Who to tell, and what each one is for")
    guide = page.locator("article.guide")
    expect(guide).to_contain_text("0800 1111")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("link", name="All family guides")).to_be_hidden()
    expect(guide).to_be_visible()
    for slug in ("age-ratings", "parental-controls", "screen-time-and-sleep",
                 "online-gaming", "when-something-goes-wrong", "who-to-report-to"):
        page.goto(f"/family/guides/{slug}")  # each prints on one or two sheets of A4
        assert len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(format="A4"))) <= 2, slug


@pytest.mark.parametrize("size", SIZES)
def test_learning_at_home_pages_are_accessible(make_page, real_app, size):
    """axe-core (WCAG 2.2 AA) and no sideways scrolling at 320 px on every new page."""
    check = Checker(size)
    teacher = make_page(*SIZES[size])
    code = print_sams_home_card(teacher, real_app)
    check(teacher, "home cards to print")
    teacher.get_by_role("link", name="Back to the home cards list").click()
    check(teacher, "home cards list")

    home = make_page(*SIZES[size])
    home.goto("/home")
    check(home, "home code")
    home.get_by_role("button", name="Turn on picture sign-in here", exact=True).click()
    check(home, "home code with an error")
    home.get_by_label("The code on the home card").fill(code)
    home.get_by_role("button", name="Turn on picture sign-in here", exact=True).click()
    check(home, "picture names at home")

    parent = make_page(*SIZES[size])
    sign_in(parent, "parent", "demo-parent-pass")
    check(parent, "parent agreement")
    parent.get_by_role("button", name="I agree", exact=True).click()
    check(parent, "family home")
    for label, url in (("guides", "/family/guides"),
                       ("a guide", "/family/guides/age-ratings"),
                       ("who sees what (parent)", "/family/what-we-see"),
                       ("agreement builder", "/family/agreement")):
        parent.goto(url)
        check(parent, label)
    parent.get_by_label("Games, apps and videos: rules of your own, one a line").fill("x" * 200)
    parent.get_by_role("button", name="Save our agreement", exact=True).click()
    check(parent, "agreement builder with errors")
    parent.get_by_label("Games, apps and videos: rules of your own, one a line").fill("Ask")
    parent.get_by_role("button", name="Save our agreement", exact=True).click()
    check(parent, "agreement to print")
    check.assert_clean()
