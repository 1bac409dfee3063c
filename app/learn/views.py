from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.forms import EmptyForm
from ..content.model import Catalogue, Lesson, Question
from ..db import db
from ..extensions import catalogue
from ..models import QuizAnswer
from ..permissions import require
from ..teach.assignments import (
    baseline_answered,
    may_open_lesson,
    pupil_lessons,
    pupil_work,
)
from . import bp, progress
from .path import journey, next_lesson, step_bar
from .quiz import (
    AnswerError,
    Marked,
    display_order,
    mark,
    right_answer,
    shuffled_choices,
    without_title,
)

RETRIES_BEFORE_ANSWER = 2


def _catalogue() -> Catalogue:
    return catalogue()


def _lesson(slug: str) -> Lesson:
    """A lesson open to the pupil (own band, year or released or set, not held back), or a
    friendly 404: a held-back lesson cannot be opened by URL."""
    lesson = _catalogue().lesson(slug)
    if lesson is None or not may_open_lesson(current_user.pupil, lesson):
        abort(404)
    return lesson


def _go(lesson: Lesson, position: str) -> WerkzeugResponse:
    return redirect(_url_for_position(lesson, position))


def _bar(lesson: Lesson, position: str) -> dict[str, int]:
    """"Step N of M" on the route the pupil is on (a branch step counts only while on it)."""
    return step_bar(lesson, position)


@bp.route("/")
@require("learn")
def home() -> ResponseReturnValue:
    pupil = current_user.pupil
    work = pupil_work(pupil, _catalogue())
    lessons = pupil_lessons(pupil, _catalogue(), work)
    work = [w for w in work if w.lesson in lessons]  # none of a held-back lesson
    cards, carry_on = progress.home_cards(_catalogue(), pupil, lessons)
    by_slug = {c.lesson.slug: c for c in cards}
    checks = baseline_answered([pupil.id], {w.lesson.slug for w in work if w.lesson
                                            and w.assignment.kind == "baseline"})
    set_work: list[dict[str, Any]] = []
    for w in work:
        if w.lesson is None:
            continue
        if w.assignment.kind == "baseline":
            answered = {k.split(":", 1)[1] for k in checks.get(pupil.id, set())
                        if k.startswith(w.lesson.slug + ":")}
            total = len(w.lesson.quiz.questions)
            done = len(answered) >= total
            set_work.append({"work": w, "card": None, "done": done, "check": True,
                             "url": None if done else url_for(
                                 "learn.check", slug=w.lesson.slug,
                                 qid=_next_check(w.lesson, answered))})
        else:
            card = by_slug.get(w.lesson.slug)
            set_work.append({"work": w, "card": card, "done": bool(card and card.completed),
                             "check": False, "url": url_for("learn.lesson", slug=w.lesson.slug)})
    first: dict[tuple[str, bool], dict[str, Any]] = {}  # a lesson set twice shows once
    for x in set_work:
        first.setdefault((x["work"].lesson.slug, x["check"]), x)
    set_work = sorted(first.values(), key=lambda x: bool(x["done"]))
    after = next_lesson([c.lesson for c in cards], pupil.year_group,
                        {c.lesson.slug for c in cards if c.completed})
    return render_template("learn/home.html", stages=journey(cards), carry_on=carry_on,
                           pupil=pupil, set_work=set_work,
                           next_card=by_slug.get(after.slug) if after else None)


def _next_check(lesson: Lesson, answered: set[str]) -> str:
    return next((q.id for q in lesson.quiz.questions if q.id not in answered),
                lesson.quiz.questions[-1].id)


@bp.route("/<slug>/check/<qid>", methods=["GET", "POST"])
@require("learn")
def check(slug: str, qid: str) -> ResponseReturnValue:
    """A baseline check: the lesson's quiz before teaching, once, with no marks shown."""
    pupil = current_user.pupil
    lesson = _catalogue().lesson(slug)
    question = lesson.quiz.question(qid) if lesson else None
    if lesson is None or question is None or not may_open_lesson(pupil, lesson) or not any(
            w.assignment.kind == "baseline" for w in pupil_work(pupil, _catalogue(), slug=slug)):
        abort(404)
    answered = {k.split(":", 1)[1] for k in baseline_answered([pupil.id], [slug]).get(
        pupil.id, set())}
    if len(answered) >= len(lesson.quiz.questions):
        flash("You have done this quick check. Thank you!", "success")
        return redirect(url_for("learn.home"))
    if qid in answered:
        return redirect(url_for("learn.check", slug=slug, qid=_next_check(lesson, answered)))
    error: str | None = None
    given: dict[str, str] = {}
    if request.method == "POST":
        marked, error, given = _mark_posted(question)
        if marked is not None:
            progress.record_answer(pupil, lesson, qid, marked, baseline=True)
            db.session.commit()
            answered.add(qid)
            if len(answered) >= len(lesson.quiz.questions):
                flash("Thank you! Your teacher will use your answers to plan the lesson.",
                      "success")
                return redirect(url_for("learn.home"))
            return redirect(url_for("learn.check", slug=slug, qid=_next_check(lesson,
                                                                              answered)))
    return render_template("learn/check.html", lesson=lesson, question=question, error=error,
                           given=given, order=display_order(question, pupil.id)), \
        (400 if error else 200)


@bp.route("/<slug>/")
@require("learn")
def lesson(slug: str) -> ResponseReturnValue:
    lesson = _lesson(slug)
    row = progress.progress_for(current_user.pupil, lesson)
    if row is None or row.completed_at is not None and request.args.get("again"):
        return _go(lesson, lesson.positions[0])
    if row.current not in lesson.positions:  # the lesson was rewritten since: start again
        return _go(lesson, lesson.positions[0])
    return _go(lesson, row.current)


@bp.route("/<slug>/step/<step_id>", methods=["GET", "POST"])
@require("learn")
def step(slug: str, step_id: str) -> ResponseReturnValue:
    pupil = current_user.pupil
    lesson = _lesson(slug)
    step = lesson.step(step_id)
    position = f"step:{step_id}"
    if step is None:
        abort(404)
    row = progress.progress_for(pupil, lesson)
    if not progress.allowed(pupil, lesson, position, row):
        return redirect(url_for("learn.lesson", slug=slug))
    error = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        if step.type == "story":
            target = progress.after_step(lesson, step)
            assert target is not None  # a story step always leads on
            progress.unlock(pupil, lesson, target)
            db.session.commit()
            return _go(lesson, target)
        key = request.form.get("choice", "")
        if step.choice(key) is None:
            error = "Pick one of the choices."
        else:
            progress.record_choice(pupil, lesson, step, key, sent=_sent_token())
            target = progress.after_step(lesson, step, key)
            if target:
                progress.unlock(pupil, lesson, target)
            db.session.commit()  # the choice and where it leads, together or not at all
            return redirect(url_for("learn.step", slug=slug, step_id=step_id, chose=key))
    progress.visit(pupil, lesson, position, row)
    db.session.commit()
    chosen = step.choice(request.args.get("chose", "")) if step.type == "scenario" else None
    target = progress.after_step(lesson, step, chosen.key) if chosen else None
    return render_template("learn/step.html", lesson=lesson, step=step, chosen=chosen,
                           choices=shuffled_choices(step, pupil.id),
                           target=target, bar=_bar(lesson, position), error=error,
                           next_url=_url_for_position(lesson, target) if target else None), \
        (400 if error else 200)


def _url_for_position(lesson: Lesson, position: str) -> str:
    if position == "done":
        return url_for("learn.done", slug=lesson.slug)
    kind, _, ident = position.partition(":")
    if kind == "quiz":
        return url_for("learn.question", slug=lesson.slug, qid=ident)
    return url_for("learn.step", slug=lesson.slug, step_id=ident)


def _sent_token() -> str | None:
    """The posting page's own token (templates: ``sent_token()``), so a resend counts once."""
    token = request.form.get("sent", "")
    ok = 16 <= len(token) <= 32 and token.replace("-", "").replace("_", "").isalnum()
    return token if ok else None


bp.add_app_template_global(lambda: secrets.token_urlsafe(16), "sent_token")


def _mark_posted(question: Question) -> tuple[Marked | None, str | None, dict[str, str]]:
    """The posted answer marked, or why it could not be (kept to show the pupil again)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        return mark(question, request.form), None, {}
    except AnswerError as exc:
        return None, exc.message, exc.given


@bp.route("/<slug>/quiz/<qid>", methods=["GET", "POST"])
@require("learn")
def question(slug: str, qid: str) -> ResponseReturnValue:
    pupil = current_user.pupil
    lesson = _lesson(slug)
    question = lesson.quiz.question(qid)
    position = f"quiz:{qid}"
    if question is None:
        abort(404)
    row = progress.progress_for(pupil, lesson)
    if not progress.allowed(pupil, lesson, position, row):
        return redirect(url_for("learn.lesson", slug=slug))
    error: str | None = None
    given: dict[str, str] = {}
    if request.method == "POST":
        marked, error, given = _mark_posted(question)
        if marked is not None:
            stored = progress.record_answer(pupil, lesson, qid, marked, sent=_sent_token())
            if marked.correct or stored.attempt >= RETRIES_BEFORE_ANSWER:
                progress.unlock(pupil, lesson, progress.next_after_question(lesson, qid))
            db.session.commit()  # the answer and the next question opening: one transaction
            return redirect(url_for("learn.question", slug=slug, qid=qid, answer=stored.id))
    progress.visit(pupil, lesson, position, row)
    db.session.commit()
    answer = None
    answer_id = request.args.get("answer", "")
    if answer_id.isdigit():
        answer = db.session.get(QuizAnswer, int(answer_id))
        if answer is None or answer.pupil_id != pupil.id or answer.question_id != qid \
                or answer.lesson_slug != slug:
            answer = None
    feedback = without_title(_feedback_for(question, answer.answer), answer.correct) \
        if answer else []
    nxt = progress.next_after_question(lesson, qid)
    show_next = answer is not None and (answer.correct or answer.attempt >= RETRIES_BEFORE_ANSWER)
    return render_template(
        "learn/question.html", lesson=lesson, question=question, answer=answer,
        feedback=feedback, error=error, given=given, bar=_bar(lesson, position),
        order=display_order(question, pupil.id), show_next=show_next,
        next_url=_url_for_position(lesson, nxt),
        right_answer=right_answer(question) if answer and not answer.correct and show_next
        else None,
    ), (400 if error else 200)


def _feedback_for(question: Question, stored: dict[str, Any]) -> list[str]:
    """Feedback for a stored answer; none if the question has changed since it was given."""
    try:
        return mark(question, _as_form(question, stored)).feedback
    except (AnswerError, KeyError, TypeError, ValueError):
        return []


def _as_form(question: Question, stored: dict[str, Any]) -> dict[str, str]:
    """Turn a stored answer back into form fields, to re-mark it for its feedback."""
    if question.type in ("choice", "explain"):
        return {"answer": stored.get("option", "")}
    if question.type == "true_false":
        return {"answer": "true" if stored.get("answer") else "false"}
    if question.type == "order":
        return {f"pos-{item}": str(rank + 1) for rank, item in enumerate(stored.get("order", []))}
    return {f"item-{k}": v for k, v in stored.get("groups", {}).items()}


@bp.route("/<slug>/done")
@require("learn")
def done(slug: str) -> ResponseReturnValue:
    pupil = current_user.pupil
    lesson = _lesson(slug)
    row = progress.progress_for(pupil, lesson)
    if not progress.allowed(pupil, lesson, "done", row):
        return redirect(url_for("learn.lesson", slug=slug))
    progress.visit(pupil, lesson, "done", row)
    db.session.commit()
    return render_template("learn/done.html", lesson=lesson)


@bp.route("/settings", methods=["GET", "POST"])
@require("learn")
def settings() -> ResponseReturnValue:
    from .settings import SettingsForm, save, settings_for

    pupil = current_user.pupil
    current = settings_for(pupil)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    if form.validate_on_submit():
        save(pupil, form)
        db.session.commit()
        flash("Saved. Your pages will look like this on every computer and tablet.", "success")
        return redirect(url_for("learn.settings"))
    return render_template("learn/settings.html", form=form), (400 if form.errors else 200)


@bp.route("/badges")
@require("learn")
def badges() -> ResponseReturnValue:
    from .badges import block_progress

    pupil = current_user.pupil
    cards, _ = progress.home_cards(_catalogue(), pupil)
    completed = {c.lesson.slug for c in cards if c.completed}
    return render_template("learn/badges.html", cards=[c for c in cards if c.completed],
                           blocks=block_progress(_catalogue(), pupil.band, completed))


@bp.route("/certificate/<block_id>")
@require("learn")
def certificate(block_id: str) -> ResponseReturnValue:
    from .badges import block_progress

    pupil = current_user.pupil
    cards, _ = progress.home_cards(_catalogue(), pupil)
    completed = {c.lesson.slug for c in cards if c.completed}
    found = next((b for b in block_progress(_catalogue(), pupil.band, completed)
                  if b.block.id == block_id), None)
    if found is None or not found.complete:
        abort(404)
    return render_template("learn/certificate.html", block=found.block, pupil=pupil,
                           school=current_user.school)
