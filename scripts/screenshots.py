"""Write screenshots of the key pages to docs/screenshots/ (used in the README).

    .venv/bin/python scripts/screenshots.py

Builds a throwaway demo database, serves the app on loopback and drives Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def snap(page, **kwargs) -> None:
    """Take the shot once every picture on the page has loaded."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(**kwargs)


def main() -> None:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from app import create_app
    from app.db import db
    from app.models import Assignment, Pupil, SchoolClass

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'shots.db'}"
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app", "FLASK_SECRET_KEY": "shots"}
    for command in ("init-db", "seed-demo"):
        subprocess.run([sys.executable, "-m", "flask", command], cwd=REPO, env=env, check=True,
                       capture_output=True)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "shots"})
    catalogue = app.extensions["catalogue"]
    with app.app_context():  # seed-demo gave both classes learning, set work and judgements
        y5 = db.session.scalar(select(SchoolClass).where(SchoolClass.year_group == 5))
        y5_id = y5.id
        priya = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Priya"))
        taught = db.session.scalar(select(Assignment.lesson_slug).where(
            Assignment.class_id == y5_id, Assignment.kind == "lesson"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        tablet = {"viewport": {"width": 1024, "height": 768}, "base_url": base}
        if "--learning-at-home" in sys.argv:  # only the home card and family shots
            learning_at_home(browser, base, tablet)
            browser.close()
            server.shutdown()
            return

        def sign_in(page, username, password):
            page.goto("/login")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="I agree").click()

        page = browser.new_page(**tablet)
        sign_in(page, "teacher2", "demo-teacher-pass")
        page.goto("/device")
        page.get_by_label("Class for picture sign-in on this device").select_option(
            label="Year 2 Robins")
        page.get_by_role("button", name="Turn on picture sign-in").click()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("link", name="Tap here to sign in with pictures").click()
        page.get_by_role("link", name="Sam K.").click()
        page.get_by_role("button", name="cat", exact=True).click()
        snap(page, path=OUT / "picture-sign-in.png")
        for picture in ("sun", "tree"):
            page.get_by_role("button", name=picture, exact=True).click()
        page.get_by_role("button", name="I will do my best").click()
        snap(page, path=OUT / "ks1-home.png")
        lesson = catalogue.by_band["ks1"][0]
        page.goto(f"/learn/{lesson.slug}/")
        snap(page, path=OUT / "ks1-lesson-step.png", full_page=True)

        page = browser.new_page(**tablet)
        sign_in(page, "pupil", "demo-pupil-pass")
        snap(page, path=OUT / "pupil-home.png")
        lesson = catalogue.by_band["ks2"][0]
        page.goto(f"/learn/{lesson.slug}/")
        for step in lesson.steps:
            if step.type == "scenario":
                snap(page, path=OUT / "scenario.png", full_page=True)
                weak = next(c for c in step.choices if not c.safe)
                page.get_by_role("button", name=weak.text, exact=True).click()
                snap(page, path=OUT / "scenario-feedback.png", full_page=True)
                break
            page.get_by_role("button", name="Next", exact=True).click()
        page.goto("/worry/")
        snap(page, path=OUT / "worry-step-1.png", full_page=True)
        page.get_by_role("button", name="Someone was unkind", exact=True).click()
        snap(page, path=OUT / "worry-step-2.png", full_page=True)
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_role("button", name="Yes, please", exact=True).click()
        snap(page, path=OUT / "worry-sent.png", full_page=True)

        page = browser.new_page(**tablet)
        sign_in(page, "teacher", "demo-teacher-pass")
        page.goto(f"/staff/classes/{y5_id}")
        snap(page, path=OUT / "teacher-grid.png", full_page=True)
        page.goto(f"/staff/classes/{y5_id}/lessons/{taught}/assess")
        snap(page, path=OUT / "teacher-misconceptions.png", full_page=True)
        page.goto(f"/staff/classes/{y5_id}/set-work")
        snap(page, path=OUT / "teacher-set-work.png", full_page=True)
        page.goto("/staff/coverage")
        snap(page, path=OUT / "coverage.png", full_page=True)
        page.goto(f"/staff/classes/{y5_id}/pupils/{priya}")
        page.emulate_media(media="print")
        snap(page, path=OUT / "pupil-report-print.png", full_page=True)
        page.emulate_media(media="screen")
        page.goto(f"/staff/lessons/adverts-and-pop-ups/letter?class_id={y5_id}")
        page.emulate_media(media="print")
        snap(page, path=OUT / "letter-home-print.png", full_page=True)

        page = browser.new_page(**tablet)
        sign_in(page, "dsl", "demo-dsl-pass")
        page.goto("/safeguarding/")
        snap(page, path=OUT / "safeguarding-inbox.png")
        page.get_by_role("link", name="New: Someone was unkind").click()
        snap(page, path=OUT / "safeguarding-worry.png", full_page=True)

        phone = browser.new_page(viewport={"width": 320, "height": 640}, base_url=base)
        sign_in(phone, "parent", "demo-parent-pass")
        snap(phone, path=OUT / "family-320px.png")
        learning_at_home(browser, base, tablet)
        browser.close()
    server.shutdown()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(REPO), path.stat().st_size)


def learning_at_home(browser, base: str, tablet: dict) -> None:
    """Sam's home card printed, the family's phone with Sam's name, a family agreement."""
    page = browser.new_page(**tablet)
    page.goto("/login")
    page.get_by_label("Username").fill("teacher2")
    page.get_by_label("Password").fill("demo-teacher-pass")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="I agree").click()
    page.get_by_role("link", name="Year 2 Robins").first.click()
    page.get_by_role("link", name="Home cards", exact=True).click()
    page.get_by_role("button", name="Print a card for Sam", exact=True).click()
    code = page.locator("[data-home-code]").inner_text().strip()
    page.emulate_media(media="print")
    snap(page, path=OUT / "home-card-print.png", full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 700}, base_url=base)
    phone.goto("/home")
    phone.get_by_label("The code on the home card").fill(code)
    snap(phone, path=OUT / "home-code.png")
    phone.get_by_role("button", name="Turn on picture sign-in here").click()
    snap(phone, path=OUT / "home-picture-names.png")

    parent = browser.new_page(**tablet)
    parent.goto("/login")
    parent.get_by_label("Username").fill("parent")
    parent.get_by_label("Password").fill("demo-parent-pass")
    parent.get_by_role("button", name="Sign in").click()
    parent.get_by_role("button", name="I agree").click()
    parent.goto("/family/agreement")
    snap(parent, path=OUT / "family-agreement-builder.png")
    parent.get_by_label("Screens go off an hour before bedtime.").check()
    parent.get_by_label("In games we only chat with people we know in real life.").check()
    parent.get_by_label("We will listen and stay calm when you tell us something.").check()
    parent.get_by_label("Games, apps and videos: rules of your own, one a line").fill(
        "Minecraft in creative mode at weekends")
    parent.get_by_role("button", name="Save our agreement").click()
    parent.emulate_media(media="print")
    snap(parent, path=OUT / "family-agreement-print.png", full_page=True)
    parent.emulate_media(media="screen")
    parent.goto("/family/guides/age-ratings")
    snap(parent, path=OUT / "family-guide.png")


if __name__ == "__main__":
    main()
