"""A school's first morning in a real browser: a new school from the command line, its admin
adds a teacher and a lead, imports 60 pupils (preview, then confirm), prints login cards,
links a parent with a code, marks a pupil as left and rolls the year over. Every admin page
is checked with axe at tablet size and at 320 px on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.models import Pupil, SchoolClass, User

from ..test_import import sixty_pupils
from .people import sign_in
from .test_accessibility import SIZES, Checker


def add_staff(page, name: str, username: str, roles: list[str]) -> str:
    page.goto("/admin/staff")
    page.get_by_label("Name as pupils and colleagues see it").fill(name)
    page.get_by_label("Username").fill(username)
    for role in roles:
        page.get_by_label(role, exact=True).check()
    page.get_by_role("button", name="Add and show their one-time password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name} is added")
    return page.locator(".kept-text").inner_text()


@pytest.mark.parametrize("size", SIZES)
def test_a_school_sets_itself_up_on_its_first_morning(make_page, real_app, size):
    check = Checker(size)
    result = real_app.test_cli_runner().invoke(args=[
        "create-school", "Riverside Primary", "--admin", "office", "--admin-name", "Mr Hale"])
    password = re.search(r"One-time password: (\S+)", result.output).group(1)

    page = make_page(*SIZES[size])
    sign_in(page, "office", password)
    check(page, "choose a password")
    page.get_by_label("New password").fill("blue-heron-window")
    page.get_by_label("Type it again").fill("blue-heron-window")
    page.get_by_role("button", name="Save my password").click()
    page.get_by_role("button", name="I agree", exact=True).click()
    page.get_by_role("link", name="School set-up").click()
    expect(page.get_by_role("alert")).to_contain_text("no active safeguarding lead")
    check(page, "admin overview")

    teacher_password = add_staff(page, "Ms Ito", "mito", ["Teacher"])
    check(page, "one-time password")
    add_staff(page, "Mrs Clarke", "rclarke", ["Safeguarding lead", "Teacher"])
    page.goto("/admin/staff")
    check(page, "staff list")
    page.get_by_role("button", name="Add and show their one-time password").click()
    check(page, "staff form with errors")

    # Import 60 pupils into two classes: the preview first, nothing saved until confirmed.
    page.goto("/admin/import")
    check(page, "import")
    page.get_by_label("CSV file exported from your school's system").set_input_files(
        {"name": "riverside.csv", "mimeType": "text/csv", "buffer": sixty_pupils()})
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import preview: riverside.csv")
    expect(page.locator(".plan-summary")).to_contain_text("60 pupils to add")
    expect(page.locator(".plan-summary")).to_contain_text("2 classes to create")
    check(page, "import preview")
    with real_app.app_context():
        assert db.session.scalar(select(SchoolClass).where(SchoolClass.name == "4 Owls")) \
            is None
    page.get_by_role("button", name="Confirm: import 60 pupils").click()
    expect(page.get_by_role("status")).to_contain_text("60 pupils added")
    check(page, "import done")
    page.get_by_role("link", name="Login cards for 4 Owls").click()
    expect(page.locator(".login-card")).to_have_count(30)
    check(page, "login cards")
    with real_app.app_context():
        owls = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "4 Owls"))
        ducks = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "1 Ducks"))
        ito = db.session.scalar(select(User.id).where(User.username == "mito"))
        owls_id, ducks_id = owls.id, ducks.id
        kid = db.session.scalar(select(Pupil).where(Pupil.class_id == owls_id)
                                .order_by(Pupil.id))
        kid_username, kid_password = kid.user.username, kid.card_password
    page.goto(f"/admin/classes/{ducks_id}/cards")
    check(page, "KS1 picture cards")

    # Give the Year 4 class its teacher.
    page.goto(f"/admin/classes/{owls_id}")
    check(page, "class page")
    page.locator(f"input[name='teachers'][value='{ito}']").check()
    page.get_by_role("button", name="Save class settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved 4 Owls")

    # A parent links with the code from a letter.
    page.goto(f"/admin/families?class_id={owls_id}")
    check(page, "families")
    page.get_by_role("button", name=f"Print a letter for {kid.first_name}").first.click()
    code = page.locator(".code").first.inner_text()
    check(page, "family letter")
    carer = make_page(*SIZES[size])
    carer.goto("/join/")
    check(carer, "join")
    carer.get_by_label("Family link code from the letter").fill(code)
    carer.get_by_label("Your name, as the school will see it").fill("Dana")
    carer.get_by_label("Choose a username").fill("dana-home")
    carer.get_by_label("Choose a password").fill("harbour-lights-7")
    carer.get_by_label("Type the password again").fill("harbour-lights-7")
    carer.get_by_role("button", name="Create my family account").click()
    carer.get_by_role("button", name="I agree", exact=True).click()
    expect(carer.locator("main")).to_contain_text(kid.short_name)

    # The teacher signs in for the first time and marks that pupil as left.
    teacher = make_page(*SIZES[size])
    sign_in(teacher, "mito", teacher_password)
    teacher.get_by_label("New password").fill("maple-tree-shadow")
    teacher.get_by_label("Type it again").fill("maple-tree-shadow")
    teacher.get_by_role("button", name="Save my password").click()
    teacher.get_by_role("button", name="I agree", exact=True).click()
    teacher.get_by_role("link", name="Pupils and sign-in").click()
    teacher.get_by_role("link", name="Pupils of 4 Owls").click()
    teacher.get_by_label(f"{kid.short_name} has left").check()
    teacher.get_by_role("button", name="Mark ticked pupils as left").click()
    expect(teacher.get_by_role("status")).to_contain_text("1 pupil marked as left")
    pupil = make_page(*SIZES[size])
    sign_in(pupil, kid_username, kid_password)
    expect(pupil.get_by_role("alert")).to_contain_text("do not match")

    # The new school year: check, then confirm; Year 1 becomes Year 2, Year 4 becomes Year 5.
    page.goto("/admin/year")
    check(page, "new school year")
    page.get_by_role("button", name="Check these changes").click()
    page.get_by_role("button", name=re.compile("^Confirm: move into")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to")
    check(page, "new year done")
    with real_app.app_context():
        assert db.session.get(SchoolClass, owls_id).year_group == 5
        assert db.session.get(SchoolClass, ducks_id).year_group == 2
    page.goto("/admin/audit")
    expect(page.locator("tbody")).to_contain_text("Imported riverside.csv: 60 added")
    check(page, "audit log")
    check.assert_clean()


def test_the_year_2_class_becomes_year_3_on_ks2_with_passwords(make_page, real_app):
    page = make_page()
    sign_in(page, "admin", "demo-admin-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    page.goto("/admin/year")
    expect(page.get_by_label("Name (Year 3)")).to_have_value("Year 3 Robins")
    page.get_by_role("button", name="Check these changes").click()
    page.get_by_role("button", name=re.compile("^Confirm: move into")).click()
    page.get_by_role("link", name="Login cards for Year 3 Robins").click()
    expect(page.locator(".login-card")).to_have_count(8)
    card = page.locator(".login-card").filter(has_text="Sam K.")
    username = card.locator("dd").first.inner_text()
    password = card.locator("dd").nth(1).inner_text()
    sam = make_page()
    sign_in(sam, username, password)
    expect(sam.get_by_role("heading", level=1)).to_have_text("Choose your own password")
    sam.get_by_label("New password").fill("sunny-kite")
    sam.get_by_label("Type it again").fill("sunny-kite")
    sam.get_by_role("button", name="Save my password").click()
    expect(sam).to_have_url(re.compile("/agreement$"))
