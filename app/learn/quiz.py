"""Marking quiz answers: plain functions from form data to a result, no HTTP, no database."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..content.model import Choice, Question, Step


class AnswerError(ValueError):
    """The form was incomplete or malformed; ``message`` says what to fix."""

    def __init__(self, message: str, given: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.given = given or {}


@dataclass(frozen=True)
class Marked:
    correct: bool
    answer: dict[str, Any]  # what the pupil gave, stored as JSON
    misconception: str | None
    feedback: list[str] = field(default_factory=list)


FEEDBACK_TITLES = {True: ("That's right.", "That's right!"), False: ("Not quite.",)}


def without_title(feedback: list[str], correct: bool) -> list[str]:
    """The page already says "That's right!" or "Not quite." above the feedback: drop the
    same words where a feedback text starts with them, so they are not shown or read twice."""
    if not feedback:
        return feedback
    first = feedback[0]
    for title in FEEDBACK_TITLES[correct]:
        if first.startswith(title) and first[len(title):].strip():
            first = first[len(title):].lstrip()
            break
    return [first, *feedback[1:]]


def shuffled(question: Question, pupil_id: int, keys: list[str]) -> list[str]:
    """A stable shuffle per pupil and question, so a reload does not reorder the page."""
    seed = hashlib.sha256(f"{pupil_id}:{question.id}".encode()).hexdigest()
    out = list(keys)
    random.Random(seed).shuffle(out)
    if len(out) > 1 and out == keys and question.type == "order":
        out = out[1:] + out[:1]  # never show an order question already solved
    return out


def shuffled_choices(step: Step, pupil_id: int) -> list[Choice]:
    """A scenario's choices in a stable order per pupil (the safe one is not always first)."""
    seed = hashlib.sha256(f"{pupil_id}:scenario:{step.id}".encode()).hexdigest()
    out = list(step.choices)
    random.Random(seed).shuffle(out)
    return out


def display_order(question: Question, pupil_id: int) -> list[str]:
    """The keys of a question's options, items or sort items, in this pupil's stable order."""
    keys = {
        "choice": [o.key for o in question.options],
        "explain": [o.key for o in question.options],
        "order": [str(i) for i in range(len(question.items))],
        "sort": [i.key for i in question.sort_items],
    }.get(question.type, [])
    return shuffled(question, pupil_id, keys)


Form = Mapping[str, str]  # the submitted fields


def _mark_choice(question: Question, form: Form) -> Marked:
    """A choice, or an "explain why" question: one option (a reason) chosen."""
    key = form.get("answer", "")
    option = next((o for o in question.options if o.key == key), None)
    if option is None:
        raise AnswerError("Choose one reason." if question.type == "explain"
                          else "Choose one answer.")
    return Marked(option.correct, {"option": key, "text": option.text},
                  None if option.correct else option.misconception, [option.feedback])


def _mark_true_false(question: Question, form: Form) -> Marked:
    value = form.get("answer", "")
    if value not in ("true", "false"):
        raise AnswerError("Choose True or False.")
    said = value == "true"
    correct = said == question.answer
    return Marked(correct, {"answer": said}, None if correct else question.misconception,
                  [question.feedback_true if said else question.feedback_false])


def _mark_order(question: Question, form: Form) -> Marked:
    n = len(question.items)
    given: dict[str, str] = {f"pos-{i}": form.get(f"pos-{i}", "") for i in range(n)}
    positions: dict[int, int] = {}
    for i in range(n):
        raw = given[f"pos-{i}"]
        if not raw.isdigit() or not 1 <= int(raw) <= n:
            raise AnswerError(f"Give every step a number from 1 to {n}. "
                              f"\u201c{question.items[i]}\u201d has no number yet.", given)
        positions[i] = int(raw)
    if len(set(positions.values())) != n:
        raise AnswerError(f"Use each number from 1 to {n} once.", given)
    order = [i for i, _ in sorted(positions.items(), key=lambda kv: kv[1])]
    correct = order == list(range(n))
    return Marked(correct, {"order": order},
                  None if correct else question.misconception,
                  [question.feedback_right if correct else question.feedback_wrong])


def _mark_sort(question: Question, form: Form) -> Marked:
    given = {f"item-{item.key}": form.get(f"item-{item.key}", "") for item in question.sort_items}
    wrong = []
    for item in question.sort_items:
        group = given[f"item-{item.key}"]
        if group not in {g.id for g in question.groups}:
            raise AnswerError(f"Choose a group for \u201c{item.text}\u201d.", given)
        if group != item.group:
            wrong.append(item)
    correct = not wrong
    feedback = [w.feedback for w in wrong] or [question.sort_items[0].feedback]
    if correct:
        feedback = [i.feedback for i in question.sort_items]
    return Marked(correct, {"groups": {k[5:]: v for k, v in given.items()}},
                  None if correct else wrong[0].misconception, feedback)


MARKERS: dict[str, Callable[[Question, Form], Marked]] = {
    "choice": _mark_choice, "explain": _mark_choice, "true_false": _mark_true_false,
    "order": _mark_order,
    "sort": _mark_sort,
}


def mark(question: Question, form: Form) -> Marked:
    """Mark one answer. ``form`` is a mapping of the submitted fields."""
    return MARKERS.get(question.type, _mark_sort)(question, form)


def right_answer(question: Question) -> list[str]:
    """The right answer in words, shown after a second wrong try."""
    if question.type in ("choice", "explain"):
        return [o.text for o in question.options if o.correct]
    if question.type == "true_false":
        return ["True" if question.answer else "False"]
    if question.type == "order":
        return [f"{i + 1}. {text}" for i, text in enumerate(question.items)]
    labels = {g.id: g.label for g in question.groups}
    return [f"{item.text} \u2192 {labels[item.group]}" for item in question.sort_items]
