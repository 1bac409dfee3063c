"""Keyboard only: a KS2 pupil signs in, completes a lesson and reports a worry with Tab, arrow
keys, Space and Enter, and can always see where the focus is."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from app.db import db
from app.models import LessonProgress, Worry

FOCUS_VISIBLE = """el => {
  const s = getComputedStyle(el);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
}"""


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus; check the focus can be seen there."""
    target = target.first
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate(FOCUS_VISIBLE), "focus is not visible"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {target} with Tab")


def press(page: Page, target: Locator, key: str = "Enter") -> None:
    """Tab to ``target`` and press ``key``; wait for the page it opens."""
    tab_to(page, target)
    with page.expect_navigation():
        page.keyboard.press(key)


def test_keyboard_only_lesson_and_worry(make_page, real_app):
    page = make_page()
    page.goto("/login")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("pupil")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pupil-pass")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    press(page, page.get_by_role("button", name="I agree", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Alex!")

    lesson = real_app.extensions["catalogue"].by_band["ks2"][0]
    press(page, page.get_by_role("link", name=lesson.title))
    for _ in range(60):
        url = page.url
        if url.endswith("/done"):
            break
        ident = url.rsplit("/", 1)[1].split("?")[0]
        if "/step/" in url:
            step = lesson.step(ident)
            if step.type == "story":
                press(page, page.get_by_role("button", name="Next", exact=True))
            else:
                safe = next(c for c in step.choices if c.safe)
                press(page, page.get_by_role("button", name=safe.text, exact=True))
                press(page, page.get_by_role("link", name="Next", exact=True))
            continue
        q = lesson.quiz.question(ident)
        if q.type in ("choice", "explain"):  # explain: one button per reason
            right = next(o for o in q.options if o.correct)
            press(page, page.get_by_role("button", name=right.text, exact=True))
        elif q.type == "true_false":
            press(page, page.get_by_role("button", name="True" if q.answer else "False",
                                         exact=True))
        elif q.type == "order":
            for i, text in enumerate(q.items):
                tab_to(page, page.get_by_label(text, exact=True))
                page.keyboard.type(str(i + 1))
            press(page, page.get_by_role("button", name="Check my answer", exact=True))
        else:
            labels = {g.id: g.label for g in q.groups}
            for item in q.sort_items:
                group = page.get_by_role("group", name=item.text)
                first = group.get_by_role("radio").first
                tab_to(page, first)
                radios = group.get_by_role("radio")
                wanted = [g.id for g in q.groups].index(item.group)
                for _ in range(wanted):
                    page.keyboard.press("ArrowDown")
                page.keyboard.press("Space")
                expect(group.get_by_label(labels[item.group])).to_be_checked()
                assert radios.count() == len(q.groups)
            press(page, page.get_by_role("button", name="Check my answer", exact=True))
        expect(page.get_by_role("status")).to_contain_text("That's right!")
        press(page, page.locator(".step-actions a.button-big").last)
    expect(page.get_by_role("heading", level=1)).to_contain_text("You finished")

    press(page, page.get_by_role("link", name="Report a worry", exact=True))
    press(page, page.get_by_role("button", name="Someone asked for pictures or secrets",
                                 exact=True))
    tab_to(page, page.get_by_role("radio").first)
    page.keyboard.press("Space")
    expect(page.get_by_role("radio").first).to_be_checked()
    press(page, page.get_by_role("button", name="Next", exact=True))
    press(page, page.get_by_role("button", name="Yes, please", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you. Your worry was sent.")

    with real_app.app_context():
        assert db.session.scalar(select(func.count(Worry.id))) == 1
        assert db.session.scalar(select(Worry.kind)) == "pictures-secrets"
        assert db.session.scalar(select(Worry.about)) == "me"
        row = db.session.scalar(select(LessonProgress).where(
            LessonProgress.lesson_slug == lesson.slug))
        assert row.completed_at is not None


def test_text_spacing_override_breaks_nothing(make_page, real_app):
    """WCAG 1.4.12: with line height 1.5, paragraph spacing 2, letter 0.12 and word 0.16
    spacing, no text is clipped and nothing scrolls sideways."""
    page = make_page(320, 640, bypass_csp=True)  # to add the override style sheet
    page.goto("/login")
    page.get_by_label("Username").fill("pupil")
    page.get_by_label("Password").fill("demo-pupil-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="I agree", exact=True).click()
    spacing = ("* { line-height: 1.5 !important; letter-spacing: 0.12em !important; "
               "word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }")
    lesson = real_app.extensions["catalogue"].by_band["ks2"][0]
    for url in ("/learn/", f"/learn/{lesson.slug}/", "/worry/", "/learn/settings"):
        page.goto(url)
        page.add_style_tag(content=spacing)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                                 "document.documentElement.clientWidth")
        assert overflow <= 0, (url, overflow)
        clipped = page.evaluate("""() => [...document.querySelectorAll('button, a, label, h1, p')]
            .filter(el => el.scrollHeight > el.clientHeight + 2 &&
                          getComputedStyle(el).overflow === 'hidden')
            .map(el => el.textContent.trim().slice(0, 40))""")
        assert clipped == [], (url, clipped)
