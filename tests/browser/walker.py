"""Walks a lesson in the browser as a pupil would, using the course to know the answers."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.content.model import Lesson, Question

URL = re.compile(r"/learn/(?P<slug>[^/]+)/(?:(?P<kind>step|quiz)/(?P<id>[^/?]+)|done)")


def answer(page: Page, question: Question, right: bool = True) -> None:
    if question.type in ("choice", "explain"):  # an explain question: one button per reason
        option = next(o for o in question.options if o.correct == right)
        page.get_by_role("button", name=option.text, exact=True).click()
    elif question.type == "true_false":
        said = question.answer if right else not question.answer
        page.get_by_role("button", name="True" if said else "False", exact=True).click()
    elif question.type == "order":
        n = len(question.items)
        for i, text in enumerate(question.items):
            rank = i + 1 if right else n - i
            page.get_by_label(text, exact=True).select_option(str(rank))
        page.get_by_role("button", name="Check my answer", exact=True).click()
    else:
        labels = {g.id: g.label for g in question.groups}
        others = [g.id for g in question.groups]
        for item in question.sort_items:
            group = item.group if right else next(g for g in others if g != item.group)
            page.get_by_role("group", name=item.text).get_by_label(labels[group]).check()
        page.get_by_role("button", name="Check my answer", exact=True).click()


def walk(page: Page, lesson: Lesson, wrong_first: set[str] = frozenset(),
         weak_first: set[str] = frozenset()) -> None:
    """From the lesson's first page to the completion screen."""
    for _ in range(60):
        match = URL.search(page.url)
        assert match, page.url
        if match.group("kind") is None:
            expect(page.get_by_role("heading", level=1)).to_contain_text("You finished")
            return
        ident = match.group("id")
        if match.group("kind") == "step":
            step = lesson.step(ident)
            if step.type == "story":
                page.get_by_role("button", name="Next", exact=True).click()
                continue
            if ident in weak_first:
                weak = next(c for c in step.choices if not c.safe)
                page.get_by_role("button", name=weak.text, exact=True).click()
                expect(page.get_by_role("status")).to_contain_text(weak.feedback)
                if weak.next:
                    page.get_by_role("link", name="Next", exact=True).click()
                    weak_first = weak_first - {ident}
                    continue
                page.get_by_role("link", name="Try again", exact=True).click()
                weak_first = weak_first - {ident}
            safe = next(c for c in step.choices if c.safe)
            page.get_by_role("button", name=safe.text, exact=True).click()
            expect(page.get_by_role("status")).to_contain_text("Good choice!")
            page.get_by_role("link", name="Next", exact=True).click()
        else:
            question = lesson.quiz.question(ident)
            if ident in wrong_first:
                answer(page, question, right=False)
                expect(page.get_by_role("status")).to_contain_text("Not quite.")
                page.get_by_role("link", name="Try again", exact=True).click()
                wrong_first = wrong_first - {ident}
            answer(page, question, right=True)
            expect(page.get_by_role("status")).to_contain_text("That's right!")
            page.get_by_role("link", name=re.compile("Next question|Finish")).click()
    raise AssertionError("lesson did not finish")
