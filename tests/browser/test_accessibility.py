"""WCAG 2.2 AA in a real browser: axe-core on every page type for every role, at tablet size
and at 320 px; no sideways scrolling at 320 px; pupil touch targets of 44 x 44 CSS pixels."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db import db
from app.models import Pupil, SchoolClass, User

from .people import sign_in
from .walker import answer

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                          "wcag22a", "wcag22aa"]},
    "resultTypes": ["violations"],
}
SIZES = {"tablet": (1024, 768), "narrow": (320, 640)}

# Pupil pages: every link, button and form control at least 44 x 44 CSS pixels (WCAG 2.5.5 AAA
# as our own bar for children), except links inside running text.
TARGETS_JS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    if (el.closest('p, li, dd, td, .lesson-name, .hint') && el.tagName === 'A') continue;
    if (el.type === 'hidden' || el.closest('[hidden]')) continue;
    const target = (el.type === 'radio' || el.type === 'checkbox') && el.closest('label')
      ? el.closest('label') : el;
    const r = target.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.width < 44 || r.height < 44) small.push(target.outerHTML.slice(0, 90) + ' ' +
      Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return small;
}"""


class Checker:
    def __init__(self, size: str, pupil: bool = False):
        self.size = size
        self.pupil = pupil
        self.problems: list[str] = []
        self.seen: list[str] = []

    def __call__(self, page: Page, label: str) -> None:
        page.wait_for_load_state("load")
        self.seen.append(label)
        result = AXE.run(page, options=AXE_OPTIONS)
        for v in result.response["violations"]:
            nodes = "; ".join(str(n["target"]) for n in v["nodes"][:3])
            self.problems.append(f"[{self.size}] {label}: {v['id']} ({v['impact']}) {nodes}")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            self.problems.append(f"[{self.size}] {label}: scrolls sideways by {overflow}px")
        if self.pupil:
            for small in page.evaluate(TARGETS_JS):
                self.problems.append(f"[{self.size}] {label}: small touch target {small}")

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)




def tour_lesson(page: Page, check: Checker, lesson, label: str) -> None:
    """Every kind of lesson page: story, scenario, weak-choice feedback, each question type
    with and without feedback, and the completion screen."""
    page.goto(f"/learn/{lesson.slug}/")
    seen_types: set[str] = set()
    for _ in range(40):
        url = page.url
        if url.endswith("/done"):
            check(page, f"{label} done")
            return
        if "/step/" in url:
            step = lesson.step(url.rsplit("/", 1)[1].split("?")[0])
            if step.type == "story":
                if step.index == 0:
                    check(page, f"{label} story step")
                page.get_by_role("button", name="Next", exact=True).click()
                continue
            check(page, f"{label} scenario")
            weak = next(c for c in step.choices if not c.safe)
            page.get_by_role("button", name=weak.text, exact=True).click()
            check(page, f"{label} scenario feedback")
            if weak.next:
                page.get_by_role("link", name="Next", exact=True).click()
                continue
            page.get_by_role("link", name="Try again", exact=True).click()
            safe = next(c for c in step.choices if c.safe)
            page.get_by_role("button", name=safe.text, exact=True).click()
            page.get_by_role("link", name="Next", exact=True).click()
            continue
        question = lesson.quiz.question(url.rsplit("/", 1)[1].split("?")[0])
        first_of_type = question.type not in seen_types
        seen_types.add(question.type)
        if first_of_type:
            check(page, f"{label} {question.type} question")
            answer(page, question, right=False)
            check(page, f"{label} {question.type} feedback")
            page.get_by_role("link", name="Try again", exact=True).click()
        answer(page, question, right=True)
        page.locator(".step-actions a.button-big").last.click()  # "Next question" or "Finish"
    raise AssertionError("lesson did not finish")


def tour_worry(page: Page, check: Checker) -> None:
    page.get_by_role("link", name="Report a worry", exact=True).click()
    check(page, "worry step 1")
    page.get_by_role("button", name="Someone was unkind", exact=True).click()
    check(page, "worry step 2")
    page.get_by_role("button", name="Next", exact=True).click()
    check(page, "worry step 3")
    page.get_by_role("button", name="Yes, please", exact=True).click()
    check(page, "worry sent")
    page.goto("/worry/mine")
    check(page, "my worries")
    page.goto("/hide")
    check(page, "quick-hide page")


@pytest.mark.parametrize("size", SIZES)
def test_ks1_pupil_pages(make_page, real_app, size):
    page = make_page(*SIZES[size])
    check = Checker(size, pupil=True)
    sign_in(page, "teacher2", "demo-teacher-pass")
    page.get_by_role("button", name="I agree", exact=True).click()
    page.goto("/device")
    with real_app.app_context():
        cid = db.session.scalar(select(SchoolClass.id).where(SchoolClass.year_group == 2))
    page.get_by_label("Class for picture sign-in on this device").select_option(str(cid))
    page.get_by_role("button", name="Turn on picture sign-in", exact=True).click()
    page.goto(f"/staff/classes/{cid}/pictures")
    check(page, "sign-in picture cards")
    page.get_by_role("button", name="Sign out", exact=True).click()
    check(page, "sign-in with picture option")
    page.get_by_role("link", name="Tap here to sign in with pictures", exact=True).click()
    check(page, "picture names")
    page.get_by_role("link", name="Sam K.", exact=True).click()
    check(page, "picture grid")
    for picture in ("cat", "sun", "tree"):
        page.get_by_role("button", name=picture, exact=True).click()
    check(page, "KS1 agreement")
    page.get_by_role("button", name="I will do my best", exact=True).click()
    check(page, "KS1 home")
    tour_lesson(page, check, real_app.extensions["catalogue"].by_band["ks1"][0], "KS1")
    tour_worry(page, check)
    page.goto("/learn/settings")
    check(page, "settings")
    check.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_ks2_pupil_pages_including_display_settings(make_page, real_app, size):
    page = make_page(*SIZES[size])
    check = Checker(size, pupil=True)
    sign_in(page, "pupil", "demo-pupil-pass")
    check(page, "KS2 agreement")
    page.get_by_role("button", name="I agree", exact=True).click()
    check(page, "KS2 home")
    lessons = real_app.extensions["catalogue"].by_band["ks2"]
    sorts = next(x for x in lessons if {"order", "sort"} <= {q.type for q in x.quiz.questions})
    tour_lesson(page, check, sorts, "KS2")
    page.goto("/learn/")
    check(page, "KS2 home with progress")
    page.goto("/learn/badges")
    check(page, "badges")
    with real_app.app_context():  # every Years 3-4 lesson finished: the certificate opens
        from app.db import utcnow
        from app.models import LessonProgress

        alex = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        done = set(db.session.scalars(select(LessonProgress.lesson_slug).where(
            LessonProgress.pupil_id == alex.id)))
        for lesson in lessons:
            if set(lesson.years) <= {3, 4} and lesson.slug not in done:
                db.session.add(LessonProgress(
                    school_id=alex.school_id, pupil_id=alex.id, lesson_slug=lesson.slug,
                    step_reached=lesson.total_positions, current="done",
                    completed_at=utcnow()))
        db.session.commit()
    page.goto("/learn/certificate/lower-ks2")
    check(page, "certificate")
    tour_worry(page, check)
    page.goto("/learn/settings")
    page.get_by_label("Extra large").check()
    page.get_by_label("Dyslexia-friendly (OpenDyslexic)").check()
    page.get_by_label("Yellow").check()
    page.get_by_label("High contrast (black and white)").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("body")).to_have_class(re.compile("contrast-high"))
    check(page, "settings saved (large, dyslexic font, tint, high contrast)")
    page.goto("/learn/")
    check(page, "home with settings")
    check.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_staff_and_parent_pages(make_page, real_app, size):
    check = Checker(size)
    with real_app.app_context():
        y5 = db.session.scalar(select(SchoolClass.id).where(SchoolClass.year_group == 5))
        sam = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
        alex = db.session.scalar(select(Pupil.id).join(User).where(User.username == "pupil"))
    lesson = real_app.extensions["catalogue"].by_band["ks2"][0]

    teacher = make_page(*SIZES[size])
    sign_in(teacher, "teacher", "demo-teacher-pass")
    check(teacher, "staff agreement")
    teacher.get_by_role("button", name="I agree", exact=True).click()
    check(teacher, "teacher home")
    for label, url in (("class progress", f"/staff/classes/{y5}"), ("course", "/staff/course"),
                       ("teacher notes", f"/staff/lessons/{lesson.slug}"),
                       ("letter home", f"/staff/lessons/{lesson.slug}/letter?class_id={y5}"),
                       ("device", "/device"), ("403 page", "/safeguarding/")):
        teacher.goto(url)
        check(teacher, label)
    teacher.goto("/safeguarding/concern")
    check(teacher, "record a concern")
    teacher.get_by_role("button", name="Send to the safeguarding lead", exact=True).click()
    check(teacher, "record a concern with errors")
    teacher.get_by_label("Pupil").select_option(str(sam))
    teacher.get_by_label("What you saw or were told").fill("Upset after a video at break.")
    teacher.get_by_role("button", name="Send to the safeguarding lead", exact=True).click()
    check(teacher, "my concerns")

    lead = make_page(*SIZES[size])
    sign_in(lead, "dsl", "demo-dsl-pass")
    lead.get_by_role("button", name="I agree", exact=True).click()
    check(lead, "lead home with badge")
    lead.goto("/safeguarding/")
    check(lead, "inbox")
    lead.get_by_role("link", name=re.compile("^New:")).first.click()
    check(lead, "worry record")
    lead.get_by_role("button", name="Save urgency", exact=True).click()
    check(lead, "worry record with errors")
    for label, url in (("chronology", f"/safeguarding/pupils/{sam}"),
                       ("printable file", f"/safeguarding/pupils/{sam}/file"),
                       ("audit log", "/safeguarding/audit"),
                       ("retention", "/safeguarding/retention"),
                       ("empty chronology", f"/safeguarding/pupils/{alex}"),
                       ("governors report", "/safeguarding/report"),
                       ("filtered inbox", "/safeguarding/?status=open&q=sam"),
                       ("away", "/safeguarding/away"),
                       ("transfer", f"/safeguarding/pupils/{sam}/transfer")):
        lead.goto(url)
        check(lead, label)

    admin = make_page(*SIZES[size])
    sign_in(admin, "admin", "demo-admin-pass")
    admin.get_by_role("button", name="I agree", exact=True).click()
    check(admin, "admin home")

    parent = make_page(*SIZES[size])
    sign_in(parent, "parent", "demo-parent-pass")
    check(parent, "parent agreement")
    parent.get_by_role("button", name="I agree", exact=True).click()
    check(parent, "family home")
    parent.goto("/no-such-page")
    check(parent, "404 page")

    anonymous = make_page(*SIZES[size])
    anonymous.goto("/login")
    check(anonymous, "sign in")
    anonymous.get_by_role("button", name="Sign in", exact=True).click()
    check(anonymous, "sign in with errors")
    check.assert_clean()
