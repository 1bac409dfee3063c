"""One quiz file: each question type is checked by its own small function.

A checked quiz is a typed result (``CheckedQuiz``): the frozen ``Quiz`` plus the misconception
tags and "I can" ids it names, with their lines, so the whole-course step can check them
against the lesson that uses the quiz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import Group, Option, Question, Quiz, SortItem
from .yamlfile import FileChecker, LineDict, LineList, Problem, Ref

LETTERS = "abcdefghijklmnopqrstuvwxyz"
QUIZ_SIZE = (4, 8)
BECAUSE = "because"

QUESTION_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "choice": ({"id", "type", "prompt", "options"}, {"i_can"}),
    "true_false": (
        {"id", "type", "prompt", "answer", "feedback_true", "feedback_false", "misconception"},
        {"i_can"},
    ),
    "order": (
        {"id", "type", "prompt", "items", "feedback_right", "feedback_wrong", "misconception"},
        {"i_can"},
    ),
    "sort": ({"id", "type", "prompt", "groups", "items"}, {"i_can"}),
    "explain": ({"id", "type", "prompt", "reasons"}, {"i_can"}),
}


@dataclass
class CheckedQuiz:
    quiz: Quiz
    rel: str
    line: int
    tags: list[Ref] = field(default_factory=list)  # misconceptions named by wrong answers
    statement_refs: list[Ref] = field(default_factory=list)  # "I can" ids named by questions


@dataclass
class QuestionContext:
    """What every question checker needs: the file's checker and where to note tags."""

    fc: FileChecker
    tags: list[Ref]

    def tag(self, d: LineDict, where: str) -> str | None:
        value = self.fc.slug(d, "misconception", where)
        if value:
            self.tags.append(self.fc.ref(d, "misconception", where, value))
        return value or None


QuestionParts = dict[str, Any]


def _options(cx: QuestionContext, q: LineDict, key: str, where: str, word: str,
             size: tuple[int, int]) -> tuple[Option, ...]:
    """A list of options (or reasons) of which exactly one is right."""
    fc = cx.fc
    raw = fc.seq(q, key, where)
    fc.count(raw, q, key, where, *size)
    opts = []
    for oi, ro in enumerate(raw):
        ow = f"{where} {word} {oi + 1}"
        o = fc.mapping(ro, ow, raw, oi)
        fc.fields(o, ow, {"text", "feedback"}, {"correct", "misconception"})
        correct = fc.boolean(o, "correct", ow)
        mis = cx.tag(o, ow) if "misconception" in o else None
        if not correct and not mis:
            fc.add(o, None, ow, f"a wrong {word} needs a 'misconception' tag")
        if correct and mis:
            fc.add(o, "misconception", ow, f"the right {word} carries a misconception tag that "
                   "no report would read; remove it")
        opts.append(Option(LETTERS[oi], fc.text(o, "text", ow), correct,
                           fc.text(o, "feedback", ow), mis))
    n_correct = sum(o.correct for o in opts)
    if raw and n_correct != 1:
        what = "no correct answer" if n_correct == 0 else f"{n_correct} correct answers"
        fc.add(q, key, where, f"has {what}; mark exactly one {word} 'correct: true'")
    return tuple(opts)


def _choice(cx: QuestionContext, q: LineDict, where: str) -> QuestionParts:
    return {"options": _options(cx, q, "options", where, "option", (2, 5))}


def _explain(cx: QuestionContext, q: LineDict, where: str) -> QuestionParts:
    """"Explain why": the pupil chooses the best reason from 3 to 5 "Because ..." reasons.
    No free text is collected (docs/curriculum.md, "Explain why")."""
    reasons = _options(cx, q, "reasons", where, "reason", (3, 5))
    raw = q.get("reasons")
    for i, r in enumerate(reasons):
        if r.text and not r.text.lower().startswith(BECAUSE):
            cx.fc.add(raw, i, f"{where} reason {i + 1}", "a reason should start with "
                      "'Because'")
    return {"options": reasons}


def _true_false(cx: QuestionContext, q: LineDict, where: str) -> QuestionParts:
    fc = cx.fc
    if "answer" in q and not isinstance(q["answer"], bool):
        fc.add(q, "answer", where, "'answer' should be true or false (no correct answer)")
    return {"answer": fc.boolean(q, "answer", where),
            "feedback_true": fc.text(q, "feedback_true", where),
            "feedback_false": fc.text(q, "feedback_false", where),
            "misconception": cx.tag(q, where)}


def _order(cx: QuestionContext, q: LineDict, where: str) -> QuestionParts:
    fc = cx.fc
    raw_items = fc.seq(q, "items", where)
    fc.count(raw_items, q, "items", where, 3, 5)
    items = []
    for ii, item in enumerate(raw_items):
        if not isinstance(item, str) or not item.strip():
            fc.add(raw_items, ii, f"{where} item {ii + 1}", "should be text")
            continue
        items.append(item.strip())
    if len(set(items)) != len(items):
        fc.add(q, "items", where, "two items have the same text; the order is ambiguous")
    return {"items": tuple(items), "feedback_right": fc.text(q, "feedback_right", where),
            "feedback_wrong": fc.text(q, "feedback_wrong", where),
            "misconception": cx.tag(q, where)}


def _groups(fc: FileChecker, q: LineDict, where: str) -> tuple[Group, ...]:
    raw_groups = fc.seq(q, "groups", where)
    fc.count(raw_groups, q, "groups", where, 2, 3)
    groups = []
    for gi, rg in enumerate(raw_groups):
        gw = f"{where} group {gi + 1}"
        g = fc.mapping(rg, gw, raw_groups, gi)
        fc.fields(g, gw, {"id", "label"}, set())
        groups.append(Group(fc.slug(g, "id", gw), fc.text(g, "label", gw)))
    ids = [g.id for g in groups]
    if len(set(ids)) != len(ids):
        fc.add(q, "groups", where, "two groups have the same id")
    return tuple(groups)


def _sort(cx: QuestionContext, q: LineDict, where: str) -> QuestionParts:
    fc = cx.fc
    groups = _groups(fc, q, where)
    group_ids = [g.id for g in groups]
    raw_items = fc.seq(q, "items", where)
    fc.count(raw_items, q, "items", where, 3, 6)
    items = []
    for ii, ri in enumerate(raw_items):
        iw = f"{where} item {ii + 1}"
        it = fc.mapping(ri, iw, raw_items, ii)
        fc.fields(it, iw, {"text", "group", "feedback", "misconception"}, set())
        group = fc.text(it, "group", iw)
        if group and group not in group_ids:
            fc.add(it, "group", iw, f"group '{group}' is not one of this question's groups "
                   "(no correct answer)")
        items.append(SortItem(LETTERS[ii], fc.text(it, "text", iw), group,
                              fc.text(it, "feedback", iw), cx.tag(it, iw)))
    for g in groups:
        if items and g.id and not any(s.group == g.id for s in items):
            fc.add(q, "groups", where, f"no item belongs in group '{g.id}'")
    return {"groups": groups, "sort_items": tuple(items)}


QUESTION_CHECKS: dict[str, Callable[[QuestionContext, LineDict, str], QuestionParts]] = {
    "choice": _choice, "true_false": _true_false, "order": _order, "sort": _sort,
    "explain": _explain,
}


def _question(cx: QuestionContext, raw: LineList, qi: int, refs: list[Ref],
              seen: set[str]) -> Question | None:
    """One question of any type, or None when its type is unknown."""
    fc = cx.fc
    q = fc.mapping(raw[qi], f"questions[{qi + 1}]", raw, qi)
    qid = q.get("id") if isinstance(q.get("id"), str) else None
    where = f"question {qi + 1}" + (f" ({qid})" if qid else "")
    qtype = q.get("type")
    if qtype not in QUESTION_CHECKS:
        if "type" not in q:
            fc.add(q, None, where, "missing field 'type'")
        else:
            fc.add(q, "type", where, f"unknown question type '{qtype}'; use one of "
                   + ", ".join(QUESTION_CHECKS))
        return None
    fc.fields(q, where, *QUESTION_FIELDS[qtype])
    qid = fc.slug(q, "id", where)
    if qid in seen:
        fc.add(q, "id", where, f"duplicate question id '{qid}'")
    seen.add(qid)
    prompt = fc.text(q, "prompt", where)
    i_can = fc.id_list(q, "i_can", where)
    refs.extend(fc.ref(q, "i_can", where, sid) for sid in i_can)
    parts = QUESTION_CHECKS[qtype](cx, q, where)
    return Question(id=qid, index=qi, type=qtype, prompt=prompt, i_can=i_can, **parts)


def check_quiz(data: LineDict, rel: str, expected_slug: str, expected_band: str,
               problems: list[Problem]) -> CheckedQuiz | None:
    """Check one quiz file; None when it has problems (they are added to ``problems``)."""
    fc = FileChecker(rel, problems)
    fc.fields(data, "", {"slug", "band", "title", "questions"}, set())
    slug = fc.slug(data, "slug", "")
    if slug and slug != expected_slug:
        fc.add(data, "slug", "", f"slug '{slug}' should match the file name '{expected_slug}'")
    band = fc.text(data, "band", "")
    if band and band != expected_band:
        fc.add(data, "band", "", f"band '{band}' does not match its folder '{expected_band}'")
    title = fc.text(data, "title", "")
    raw = fc.seq(data, "questions", "")
    fc.count(raw, data, "questions", "", *QUIZ_SIZE)
    checked = CheckedQuiz(Quiz(slug, band, title, (), rel), rel, data.line)
    cx = QuestionContext(fc, checked.tags)
    seen: set[str] = set()
    questions = [q for qi in range(len(raw))
                 if (q := _question(cx, raw, qi, checked.statement_refs, seen)) is not None]
    if not fc.ok:
        return None
    checked.quiz = Quiz(slug=slug, band=band, title=title, questions=tuple(questions), path=rel)
    return checked
