"""Phone, tablet and desktop layouts (issue 15, item 4): on every pupil page type and the family
page, at 320, 390, 768 and 1280 px, nothing is wider than the screen, no two controls overlap,
and read-aloud buttons stay small beside the choices they read."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db import db, utcnow
from app.models import LessonProgress, Pupil, User

from ..helpers import PASSWORDS
from .people import sign_in

WIDTHS = (320, 390, 768, 1280)

# Every visible control's box, and pairs whose boxes overlap by more than a pixel each way.
OVERLAPS = """() => {
  const controls = 'main button, main a, main input, main select, main summary';
  const boxes = [...document.querySelectorAll(controls)]
    .filter(e => e.offsetParent !== null && !e.closest('.visually-hidden'))
    .map(e => [e, e.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
  const bad = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, ra] = boxes[i], [b, rb] = boxes[j];
    if (a.contains(b) || b.contains(a)) continue;
    const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
    const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
    if (w > 1 && h > 1) bad.push(`${a.outerHTML.slice(0, 60)} / ${b.outerHTML.slice(0, 60)}`);
  }
  return bad;
}"""
# Read-aloud buttons added by app.js beside a choice: small and roughly round; the choice keeps
# most of the row.
SAY = """() => [...document.querySelectorAll('.say-row')].filter(r => r.offsetParent !== null)
  .map(r => { const say = r.querySelector('button:not(.choice-button)');
              const choice = r.querySelector('.choice-button');
              if (!say || !choice) return null;
              const s = say.getBoundingClientRect(), c = choice.getBoundingClientRect();
              return [s.width, s.height, c.width, r.getBoundingClientRect().width]; })
  .filter(x => x)"""


def _lesson_with_most_question_types(app):
    lessons = app.extensions["catalogue"].by_band["ks2"]
    return max(lessons, key=lambda x: (len({q.type for q in x.quiz.questions}),
                                       any(s.type == "scenario" for s in x.steps)))


def finish_lesson(app, lesson, who) -> int:
    """Mark ``lesson`` finished for the pupil ``who`` selects; a finished lesson can be opened
    at any step, so every page type is one URL away. Returns the pupil's id."""
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).join(User).where(who))
        now = utcnow()
        db.session.add(LessonProgress(school_id=pupil.school_id, pupil_id=pupil.id,
                                      lesson_slug=lesson.slug, step_reached=len(lesson.positions),
                                      current="done", started_at=now, updated_at=now,
                                      completed_at=now))
        db.session.commit()
        return pupil.id


def _pupil_pages(lesson) -> list[str]:
    pages = ["/learn/", "/learn/badges", "/worry/", "/learn/settings", f"/learn/{lesson.slug}/done"]
    for kind in ("story", "scenario"):
        step = next((s for s in lesson.steps if s.type == kind), None)
        if step:
            pages.append(f"/learn/{lesson.slug}/step/{step.id}")
    seen: set[str] = set()
    for q in lesson.quiz.questions:
        if q.type not in seen:
            seen.add(q.type)
            pages.append(f"/learn/{lesson.slug}/quiz/{q.id}")
    return pages


def _check(page: Page, width: int, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{url} at {width}px is {scroll}px wide"
    assert page.evaluate(OVERLAPS) == [], f"{url} at {width}px: controls overlap"
    for say_w, say_h, choice_w, row_w in page.evaluate(SAY):
        assert say_w <= 64 and abs(say_w - say_h) <= 8, f"{url} at {width}px: read-aloud button"
        assert choice_w >= 0.6 * row_w, f"{url} at {width}px: choice squeezed"


@pytest.mark.parametrize("width", WIDTHS)
def test_pupil_and_family_pages_fit_every_width(make_page, real_app, width):
    lesson = _lesson_with_most_question_types(real_app)
    finish_lesson(real_app, lesson, User.username == "pupil")
    page = make_page(width=width, height=800)
    sign_in(page, "pupil", PASSWORDS["pupil"])
    page.get_by_role("button", name="I agree", exact=True).click()
    for url in _pupil_pages(lesson):
        _check(page, width, url)

    parent = make_page(width=width, height=800)
    sign_in(parent, "parent", PASSWORDS["parent"])
    parent.get_by_role("button", name="I agree", exact=True).click()
    _check(parent, width, "/family/")


@pytest.mark.parametrize("width", (320, 390))
def test_ks1_pages_with_read_aloud_fit_a_phone(make_page, real_app, width):
    """KS1 pages carry a read-aloud button beside every choice: it stays small and round."""
    from .test_pupil_flows import enable_pictures_and_sign_in_sam

    lesson = real_app.extensions["catalogue"].by_band["ks1"][0]
    finish_lesson(real_app, lesson, Pupil.first_name == "Sam")
    page = make_page(width=width, height=800)
    enable_pictures_and_sign_in_sam(page)
    page.get_by_role("button", name="I will do my best", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Sam!")
    rows = 0
    for url in _pupil_pages(lesson):
        _check(page, width, url)
        rows += len(page.evaluate(SAY))
    assert rows > 0  # the read-aloud check above really ran
