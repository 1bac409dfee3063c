"""Load lessons/ and quizzes/ YAML, validate every rule, and build frozen objects.

Every problem is reported as ``file:line: where: what`` so a writer can find it at once.
Nothing half-loads: if any problem is found, no catalogue is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import (
    BAND_YEARS,
    BANDS,
    FOUR_CS,
    QUESTION_TYPES,
    STRANDS,
    Catalogue,
    Choice,
    Group,
    Lesson,
    Option,
    Question,
    Quiz,
    SortItem,
    Statement,
    Step,
    TeacherNotes,
)
from .render import markdown_to_html

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


class ContentError(Exception):
    """Raised when content is invalid; ``problems`` holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- YAML with line numbers ---------------------------------------------------------------


class LineDict(dict):
    line = 1
    key_lines: dict


class LineList(list):
    line = 1
    item_lines: list


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | bool) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(container: Any, key: Any = None) -> int:
    if key is not None:
        if isinstance(container, LineDict) and key in container.key_lines:
            return container.key_lines[key]
        if isinstance(container, LineList) and isinstance(key, int):
            if 0 <= key < len(container.item_lines):
                return container.item_lines[key]
    return getattr(container, "line", 1)


# --- checking helpers ---------------------------------------------------------------------


class FileChecker:
    """Collects problems for one file and reads typed fields from its mappings."""

    def __init__(self, rel: str, problems: list[Problem]):
        self.rel = rel
        self.problems = problems
        self.start = len(problems)

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.start

    def add(self, container: Any, key: Any, where: str, message: str) -> None:
        self.problems.append(Problem(self.rel, _line_of(container, key), where, message))

    def mapping(self, value: Any, where: str, parent: Any = None, key: Any = None) -> LineDict:
        if isinstance(value, LineDict):
            return value
        self.add(parent if parent is not None else value, key, where, "should be a mapping")
        return LineDict()

    def fields(self, d: LineDict, where: str, required: set[str], optional: set[str]) -> None:
        for name in sorted(required - set(d)):
            self.add(d, None, where, f"missing field '{name}'")
        for name in sorted(set(d) - required - optional, key=str):
            self.add(d, name, where, f"unknown field '{name}'")

    def text(self, d: LineDict, key: str, where: str, required: bool = True) -> str:
        value = d.get(key)
        if value is None:
            if required and key in d:
                self.add(d, key, where, f"'{key}' is empty")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(d, key, where, f"'{key}' should be text")
            return ""
        text = str(value).strip()
        if required and not text:
            self.add(d, key, where, f"'{key}' is empty")
        return text

    def slug(self, d: LineDict, key: str, where: str) -> str:
        value = self.text(d, key, where)
        if value and not SLUG_RE.match(value):
            self.add(d, key, where, f"'{key}' '{value}' should use only a-z, 0-9 and hyphens")
        return value

    def boolean(self, d: LineDict, key: str, where: str, default: bool = False) -> bool:
        if key not in d:
            return default
        value = d[key]
        if not isinstance(value, bool):
            self.add(d, key, where, f"'{key}' should be true or false")
            return default
        return value

    def integer(self, d: LineDict, key: str, where: str) -> int:
        value = d.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            if key in d:
                self.add(d, key, where, f"'{key}' should be a whole number")
            return 0
        return value

    def seq(self, d: LineDict, key: str, where: str) -> LineList:
        value = d.get(key)
        if isinstance(value, LineList):
            return value
        if key in d:
            self.add(d, key, where, f"'{key}' should be a list")
        return LineList()

    def id_list(self, d: LineDict, key: str, where: str) -> tuple[str, ...]:
        """An optional list of ids (e.g. the "I can" statements a question assesses)."""
        if key not in d:
            return ()
        out = []
        for i, value in enumerate(self.seq(d, key, where)):
            if not isinstance(value, str) or not SLUG_RE.match(value):
                self.add(d[key], i, where, f"'{key}' entry {i + 1} should be an id (a-z, 0-9, "
                         "hyphens)")
            else:
                out.append(value)
        if key in d and isinstance(d.get(key), LineList) and not d[key]:
            self.add(d, key, where, f"'{key}' is empty; leave it out to mean every statement")
        return tuple(out)

    def count(self, seq: LineList, d: LineDict, key: str, where: str, lo: int, hi: int) -> None:
        if key in d and isinstance(d.get(key), LineList) and not lo <= len(seq) <= hi:
            self.add(d, key, where, f"'{key}' has {len(seq)} entries; it needs {lo} to {hi}")


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> LineDict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(rel, 1, "", "bad encoding: the file must be UTF-8"))
        return None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(rel, line, "", f"bad YAML: {reason}"))
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(rel, 1, "", "bad YAML: the file should be a mapping of fields"))
        return None
    return data


# --- quizzes ------------------------------------------------------------------------------

QUESTION_FIELDS = {
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
}


@dataclass
class RawQuiz:
    quiz: Quiz
    rel: str
    line: int
    tags: list[tuple[str, int, str]]  # (tag, line, where) used by wrong answers
    statement_refs: list[tuple[str, int, str]] = field(default_factory=list)  # i_can ids


def _check_quiz(data: LineDict, rel: str, expected_slug: str, expected_band: str,
                problems: list[Problem]) -> RawQuiz | None:
    fc = FileChecker(rel, problems)
    fc.fields(data, "", {"slug", "band", "title", "questions"}, set())
    slug = fc.slug(data, "slug", "")
    if slug and slug != expected_slug:
        fc.add(data, "slug", "", f"slug '{slug}' should match the file name '{expected_slug}'")
    band = fc.text(data, "band", "")
    if band and band != expected_band:
        fc.add(data, "band", "", f"band '{band}' does not match its folder '{expected_band}'")
    title = fc.text(data, "title", "")
    raw_questions = fc.seq(data, "questions", "")
    fc.count(raw_questions, data, "questions", "", 4, 8)
    tags: list[tuple[str, int, str]] = []
    statement_refs: list[tuple[str, int, str]] = []
    questions: list[Question] = []
    seen: set[str] = set()

    def tag(d: LineDict, where: str) -> str | None:
        value = fc.slug(d, "misconception", where)
        if value:
            tags.append((value, _line_of(d, "misconception"), where))
        return value or None

    for qi, raw in enumerate(raw_questions):
        q = fc.mapping(raw, f"questions[{qi + 1}]", raw_questions, qi)
        qid = q.get("id") if isinstance(q.get("id"), str) else None
        where = f"question {qi + 1}" + (f" ({qid})" if qid else "")
        qtype = q.get("type")
        if qtype not in QUESTION_TYPES:
            if "type" not in q:
                fc.add(q, None, where, "missing field 'type'")
            else:
                fc.add(q, "type", where, f"unknown question type '{qtype}'; use one of "
                       + ", ".join(QUESTION_TYPES))
            continue
        required, optional = QUESTION_FIELDS[qtype]
        fc.fields(q, where, required, optional)
        qid = fc.slug(q, "id", where)
        if qid in seen:
            fc.add(q, "id", where, f"duplicate question id '{qid}'")
        seen.add(qid)
        prompt = fc.text(q, "prompt", where)
        kwargs: dict[str, Any] = {"i_can": fc.id_list(q, "i_can", where)}
        statement_refs.extend((sid, _line_of(q, "i_can"), where) for sid in kwargs["i_can"])
        if qtype == "choice":
            raw_opts = fc.seq(q, "options", where)
            fc.count(raw_opts, q, "options", where, 2, 5)
            opts = []
            for oi, ro in enumerate(raw_opts):
                ow = f"{where} option {oi + 1}"
                o = fc.mapping(ro, ow, raw_opts, oi)
                fc.fields(o, ow, {"text", "feedback"}, {"correct", "misconception"})
                correct = fc.boolean(o, "correct", ow)
                mis = tag(o, ow) if "misconception" in o else None
                if not correct and not mis:
                    fc.add(o, None, ow, "a wrong option needs a 'misconception' tag")
                opts.append(Option(LETTERS[oi], fc.text(o, "text", ow), correct,
                                   fc.text(o, "feedback", ow), mis))
            n_correct = sum(o.correct for o in opts)
            if raw_opts and n_correct != 1:
                what = "no correct answer" if n_correct == 0 else f"{n_correct} correct answers"
                fc.add(q, "options", where, f"has {what}; mark exactly one option 'correct: true'")
            kwargs["options"] = tuple(opts)
        elif qtype == "true_false":
            if "answer" in q and not isinstance(q["answer"], bool):
                fc.add(q, "answer", where, "'answer' should be true or false (no correct answer)")
            kwargs.update(
                answer=fc.boolean(q, "answer", where),
                feedback_true=fc.text(q, "feedback_true", where),
                feedback_false=fc.text(q, "feedback_false", where),
                misconception=tag(q, where),
            )
        elif qtype == "order":
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
            kwargs.update(
                items=tuple(items),
                feedback_right=fc.text(q, "feedback_right", where),
                feedback_wrong=fc.text(q, "feedback_wrong", where),
                misconception=tag(q, where),
            )
        else:  # sort
            raw_groups = fc.seq(q, "groups", where)
            fc.count(raw_groups, q, "groups", where, 2, 3)
            groups = []
            for gi, rg in enumerate(raw_groups):
                gw = f"{where} group {gi + 1}"
                g = fc.mapping(rg, gw, raw_groups, gi)
                fc.fields(g, gw, {"id", "label"}, set())
                groups.append(Group(fc.slug(g, "id", gw), fc.text(g, "label", gw)))
            group_ids = [g.id for g in groups]
            if len(set(group_ids)) != len(group_ids):
                fc.add(q, "groups", where, "two groups have the same id")
            raw_items = fc.seq(q, "items", where)
            fc.count(raw_items, q, "items", where, 3, 6)
            sitems = []
            for ii, ri in enumerate(raw_items):
                iw = f"{where} item {ii + 1}"
                it = fc.mapping(ri, iw, raw_items, ii)
                fc.fields(it, iw, {"text", "group", "feedback", "misconception"}, set())
                group = fc.text(it, "group", iw)
                if group and group not in group_ids:
                    fc.add(it, "group", iw, f"group '{group}' is not one of this question's "
                           "groups (no correct answer)")
                sitems.append(SortItem(LETTERS[ii], fc.text(it, "text", iw), group,
                                       fc.text(it, "feedback", iw), tag(it, iw)))
            for g in groups:
                if sitems and g.id and not any(s.group == g.id for s in sitems):
                    fc.add(q, "groups", where, f"no item belongs in group '{g.id}'")
            kwargs.update(groups=tuple(groups), sort_items=tuple(sitems))
        questions.append(Question(id=qid, index=qi, type=qtype, prompt=prompt, **kwargs))
    if not fc.ok:
        return None
    quiz = Quiz(slug=slug, band=band, title=title, questions=tuple(questions), path=rel)
    return RawQuiz(quiz, rel, data.line, tags, statement_refs)


# --- lessons ------------------------------------------------------------------------------

LESSON_REQUIRED = {
    "slug", "band", "years", "order", "title", "summary", "strands", "four_cs", "picture",
    "picture_alt", "i_can", "misconceptions", "family_tip", "teacher_notes", "quiz", "steps",
}
LESSON_OPTIONAL = {"help_route"}


def _check_picture(fc: FileChecker, d: LineDict, key: str, alt_key: str, where: str,
                   image_dir: Path) -> tuple[str | None, str | None]:
    name = fc.text(d, key, where, required=False) or None
    alt = fc.text(d, alt_key, where, required=False) or None
    if name:
        if "/" in name or "\\" in name or not name.endswith(".svg"):
            fc.add(d, key, where, f"picture '{name}' should be a plain .svg file name")
        elif not (image_dir / name).is_file():
            fc.add(d, key, where, f"picture '{name}' not found in static/img/lessons/")
        if not alt:
            fc.add(d, key, where, f"picture '{name}' needs alt text in '{alt_key}'")
    return name, alt


def _check_lesson(data: LineDict, rel: str, expected_slug: str, expected_band: str,
                  image_dir: Path, problems: list[Problem]) -> dict | None:
    """Check one lesson file; return its fields (the quiz is attached by the caller)."""
    fc = FileChecker(rel, problems)
    fc.fields(data, "", LESSON_REQUIRED, LESSON_OPTIONAL)
    slug = fc.slug(data, "slug", "")
    if slug and slug != expected_slug:
        fc.add(data, "slug", "", f"slug '{slug}' should match the file name '{expected_slug}'")
    band = fc.text(data, "band", "")
    if band and band not in BANDS:
        fc.add(data, "band", "", f"unknown band '{band}'; use ks1 or ks2")
    elif band and band != expected_band:
        fc.add(data, "band", "", f"band '{band}' does not match its folder '{expected_band}'")
    years = fc.seq(data, "years", "")
    allowed_years = BAND_YEARS.get(band, ())
    for i, y in enumerate(years):
        if y not in allowed_years:
            fc.add(years, i, "years", f"year {y!r} is not in band {band or '?'}")
    if "years" in data and not years:
        fc.add(data, "years", "", "'years' is empty")
    order = fc.integer(data, "order", "")
    strands = fc.seq(data, "strands", "")
    for i, s in enumerate(strands):
        if s not in STRANDS:
            fc.add(strands, i, "strands", f"unknown strand '{s}'")
    if "strands" in data and not strands:
        fc.add(data, "strands", "", "'strands' is empty; name at least one strand")
    four_cs = fc.seq(data, "four_cs", "")
    for i, c in enumerate(four_cs):
        if c not in FOUR_CS:
            fc.add(four_cs, i, "four_cs", f"unknown risk '{c}'; use content, contact, "
                   "conduct or commerce")
    picture, picture_alt = _check_picture(fc, data, "picture", "picture_alt", "", image_dir)

    raw_ican = fc.seq(data, "i_can", "")
    fc.count(raw_ican, data, "i_can", "", 2, 4)
    statements = []
    for i, r in enumerate(raw_ican):
        w = f"i_can[{i + 1}]"
        d = fc.mapping(r, w, raw_ican, i)
        fc.fields(d, w, {"id", "text"}, set())
        statements.append(Statement(fc.slug(d, "id", w), fc.text(d, "text", w)))
    ids = [s.id for s in statements]
    if len(set(ids)) != len(ids):
        fc.add(data, "i_can", "", "two 'I can' statements share an id")

    mis_raw = data.get("misconceptions")
    misconceptions: dict[str, str] = {}
    if isinstance(mis_raw, LineDict):
        for tag, text in mis_raw.items():
            if not isinstance(tag, str) or not SLUG_RE.match(tag):
                fc.add(mis_raw, tag, "misconceptions", f"tag '{tag}' should use a-z, 0-9, hyphens")
            elif not isinstance(text, str) or not text.strip():
                fc.add(mis_raw, tag, "misconceptions", f"tag '{tag}' needs an explanation")
            else:
                misconceptions[tag] = text.strip()
    elif "misconceptions" in data:
        fc.add(data, "misconceptions", "", "'misconceptions' should be a mapping of tag: text")

    notes_raw = fc.mapping(data.get("teacher_notes", LineDict()), "teacher_notes", data,
                           "teacher_notes")
    if "teacher_notes" in data:
        fc.fields(notes_raw, "teacher_notes", {"goal", "discussion"}, {"notes", "reteach"})
    reteach, reteach_for = _reteach(fc, notes_raw, misconceptions)
    notes = TeacherNotes(
        goal=fc.text(notes_raw, "goal", "teacher_notes"),
        discussion=fc.text(notes_raw, "discussion", "teacher_notes"),
        notes_html=markdown_to_html(fc.text(notes_raw, "notes", "teacher_notes", False)),
        reteach=reteach, reteach_for=reteach_for,
    )

    statement_ids = {st.id for st in statements}
    tags_used: list[tuple[str, int, str]] = []
    raw_steps = fc.seq(data, "steps", "")
    steps: list[Step] = []
    step_ids: list[str] = []
    for si, r in enumerate(raw_steps):
        d = fc.mapping(r, f"steps[{si + 1}]", raw_steps, si)
        sid = d.get("id") if isinstance(d.get("id"), str) else None
        where = f"step {si + 1}" + (f" ({sid})" if sid else "")
        stype = d.get("type")
        common = {"id", "type", "title", "body"}
        if stype == "story":
            fc.fields(d, where, common, {"picture", "alt", "next"})
        elif stype == "scenario":
            fc.fields(d, where, common | {"choices"}, {"picture", "alt", "i_can"})
        else:
            fc.add(d, "type" if "type" in d else None, where,
                   f"unknown step type '{stype}'; use story or scenario"
                   if "type" in d else "missing field 'type'")
            continue
        sid = fc.slug(d, "id", where)
        if sid in step_ids:
            fc.add(d, "id", where, f"duplicate step id '{sid}'")
        step_ids.append(sid)
        pic, alt = _check_picture(fc, d, "picture", "alt", where, image_dir)
        choices: list[Choice] = []
        if stype == "scenario":
            raw_choices = fc.seq(d, "choices", where)
            fc.count(raw_choices, d, "choices", where, 3, 6)
            for ci, rc in enumerate(raw_choices):
                cw = f"{where} choice {ci + 1}"
                c = fc.mapping(rc, cw, raw_choices, ci)
                fc.fields(c, cw, {"text", "safe", "feedback"}, {"misconception", "next"})
                if "safe" in c and not isinstance(c["safe"], bool):
                    fc.add(c, "safe", cw, "'safe' should be true or false")
                safe = fc.boolean(c, "safe", cw)
                mis = fc.slug(c, "misconception", cw) if "misconception" in c else None
                if mis:
                    tags_used.append((mis, _line_of(c, "misconception"), cw))
                elif not safe:
                    fc.add(c, None, cw, "a weak choice (safe: false) needs a 'misconception' tag")
                nxt = fc.text(c, "next", cw, required=False) or None
                choices.append(Choice(LETTERS[ci], fc.text(c, "text", cw), safe,
                                      fc.text(c, "feedback", cw), mis or None, nxt))
                if nxt:
                    tags_used.append(("@next:" + nxt, _line_of(c, "next"), cw))
            if raw_choices and not any(ch.safe for ch in choices):
                fc.add(d, "choices", where, "no choice is marked 'safe: true'")
        nxt = fc.text(d, "next", where, required=False) or None
        if nxt:
            tags_used.append(("@next:" + nxt, _line_of(d, "next"), where))
        body = fc.text(d, "body", where)
        step_ican = fc.id_list(d, "i_can", where) if stype == "scenario" else ()
        for ref in step_ican:
            if statement_ids and ref not in statement_ids:
                fc.add(d, "i_can", where, f"'i_can' names '{ref}', which is not one of this "
                       "lesson's 'I can' statements")
        steps.append(Step(sid, si, stype, fc.text(d, "title", where), body,
                          markdown_to_html(body), pic, alt, tuple(choices), nxt, step_ican))

    n_story = sum(s.type == "story" for s in steps)
    n_scen = sum(s.type == "scenario" for s in steps)
    if "steps" in data and raw_steps:
        if not 3 <= n_story <= 6:
            fc.add(data, "steps", "", f"has {n_story} story steps; a lesson needs 3 to 6")
        if n_scen < 1:
            fc.add(data, "steps", "", "has no scenario step; a lesson needs at least one")

    # step targets and reachability
    known = set(step_ids)
    for tag, line, where in tags_used:
        if tag.startswith("@next:"):
            target = tag[6:]
            if target != "quiz" and target not in known:
                problems.append(Problem(rel, line, where, f"'next' points to missing step "
                                        f"'{target}'"))
        elif misconceptions and tag not in misconceptions:
            problems.append(Problem(rel, line, where, f"misconception '{tag}' is not "
                                    "declared in 'misconceptions'"))
    if fc.ok and steps:
        reached = _reachable(steps)
        for s in steps:
            if s.id not in reached:
                problems.append(Problem(rel, _line_of(raw_steps, s.index), f"step "
                                        f"{s.index + 1} ({s.id})", "orphan step: no path "
                                        "from the first step reaches it"))
    fields = dict(
        slug=slug, band=band, years=tuple(years), order=order, title=fc.text(data, "title", ""),
        summary=fc.text(data, "summary", ""), strands=tuple(strands), four_cs=tuple(four_cs),
        picture=picture or "", picture_alt=picture_alt or "", i_can=tuple(statements),
        misconceptions=tuple(misconceptions.items()),
        help_route=fc.boolean(data, "help_route", ""),
        family_tip=fc.text(data, "family_tip", ""), teacher_notes=notes,
        steps=tuple(steps), path=rel,
    )
    quiz_slug = fc.slug(data, "quiz", "")
    if not fc.ok:
        return None
    return {"fields": fields, "quiz": quiz_slug, "quiz_line": _line_of(data, "quiz"),
            "order_line": _line_of(data, "order"), "misconceptions": misconceptions,
            "statement_ids": {st.id for st in statements}}


def _reteach(fc: FileChecker, notes: LineDict,
             misconceptions: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """teacher_notes.reteach: one idea for the lesson (text), or one per misconception
    (a mapping of tag: idea, with an optional 'lesson' key for the whole lesson)."""
    if "reteach" not in notes:
        return "", ()
    value = notes["reteach"]
    where = "teacher_notes"
    if isinstance(value, str):
        return fc.text(notes, "reteach", where), ()
    if not isinstance(value, LineDict):
        fc.add(notes, "reteach", where, "'reteach' should be text, or a mapping of "
               "misconception tag: idea")
        return "", ()
    lesson_idea, per_tag = "", []
    for tag, text in value.items():
        if not isinstance(text, str) or not text.strip():
            fc.add(value, tag, where, f"reteach idea for '{tag}' is empty")
        elif tag == "lesson":
            lesson_idea = text.strip()
        elif misconceptions and tag not in misconceptions:
            fc.add(value, tag, where, f"reteach names misconception '{tag}', which is not "
                   "declared in 'misconceptions'")
        else:
            per_tag.append((str(tag), text.strip()))
    return lesson_idea, tuple(per_tag)


def following(steps: tuple[Step, ...] | list[Step], step: Step) -> str:
    """Where a step leads by default: the next step in the file, or the quiz after the last."""
    return steps[step.index + 1].id if step.index + 1 < len(steps) else "quiz"


def _targets(steps, step: Step) -> set[str]:
    if step.type == "story":
        return {step.next or following(steps, step)}
    out = set()
    for c in step.choices:
        if c.next:
            out.add(c.next)
        elif c.safe:
            out.add(following(steps, step))
    return out


def _reachable(steps: list[Step]) -> set[str]:
    by_id = {s.id: s for s in steps}
    seen: set[str] = set()
    todo = [steps[0].id]
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        todo.extend(_targets(steps, by_id[sid]))
    return seen


# --- the whole course ---------------------------------------------------------------------


def load_catalogue(root: Path | str, image_dir: Path | str | None = None) -> Catalogue:
    """Load and validate all content under ``root``; raise ContentError listing every problem."""
    root = Path(root)
    image_dir = Path(image_dir) if image_dir else root / "static" / "img" / "lessons"
    problems: list[Problem] = []
    quizzes: dict[str, RawQuiz] = {}
    lessons: list[tuple[dict, str]] = []
    referenced: set[str] = set()  # quizzes named by any lesson file, valid or not
    quiz_files: dict[str, set[str]] = {band: set() for band in BANDS}

    for band in BANDS:
        for path in sorted((root / "quizzes" / band).glob("*.y*ml")):
            rel = path.relative_to(root).as_posix()
            quiz_files[band].add(path.stem)
            data = _read_yaml(path, rel, problems)
            if data is None:
                continue
            raw = _check_quiz(data, rel, path.stem, band, problems)
            if raw is not None:
                key = raw.quiz.slug
                if key in quizzes:
                    problems.append(Problem(rel, 1, "", f"duplicate quiz slug '{key}' (also in "
                                            f"{quizzes[key].rel})"))
                quizzes[key] = raw
        for path in sorted((root / "lessons" / band).glob("*.y*ml")):
            rel = path.relative_to(root).as_posix()
            data = _read_yaml(path, rel, problems)
            if data is None:
                continue
            if isinstance(data.get("quiz"), str):
                referenced.add(data["quiz"])
            checked = _check_lesson(data, rel, path.stem, band, image_dir, problems)
            if checked is not None:
                lessons.append((checked, rel))

    built: dict[str, Lesson] = {}
    used_quizzes: dict[str, str] = {}
    orders: dict[tuple[str, int], str] = {}
    for info, rel in lessons:
        f = info["fields"]
        if f["slug"] in built:
            problems.append(Problem(rel, 1, "", f"duplicate slug '{f['slug']}' (also in "
                                    f"{built[f['slug']].path})"))
            continue
        key = (f["band"], f["order"])
        if key in orders:
            problems.append(Problem(rel, info["order_line"], "", f"order {f['order']} is also "
                                    f"used by {orders[key]}"))
        orders[key] = rel
        raw = quizzes.get(info["quiz"])
        if raw is None and info["quiz"] in quiz_files.get(f["band"], set()):
            continue  # the quiz file exists but has its own problems, reported there
        if raw is None:
            problems.append(Problem(rel, info["quiz_line"], "", f"quiz '{info['quiz']}' not "
                                    f"found in quizzes/{f['band']}/"))
            continue
        if raw.quiz.band != f["band"]:
            problems.append(Problem(rel, info["quiz_line"], "", f"quiz '{info['quiz']}' is for "
                                    f"{raw.quiz.band}, not {f['band']}"))
        if info["quiz"] in used_quizzes:
            problems.append(Problem(rel, info["quiz_line"], "", f"quiz '{info['quiz']}' is "
                                    f"already used by {used_quizzes[info['quiz']]}"))
        used_quizzes[info["quiz"]] = rel
        for ref, line, where in raw.statement_refs:
            if ref not in info["statement_ids"]:
                problems.append(Problem(raw.rel, line, where, f"'i_can' names '{ref}', which is "
                                        f"not an 'I can' statement of {rel}"))
        for tag, line, where in raw.tags:
            if tag not in info["misconceptions"]:
                problems.append(Problem(raw.rel, line, where, f"misconception '{tag}' is not "
                                        f"declared in {rel}"))
        positions = tuple(
            [f"step:{s.id}" for s in f["steps"]]
            + [f"quiz:{q.id}" for q in raw.quiz.questions]
            + ["done"]
        )
        built[f["slug"]] = Lesson(quiz=raw.quiz, positions=positions, **f)
    for slug, raw in quizzes.items():
        if slug not in used_quizzes and slug not in referenced:
            problems.append(Problem(raw.rel, raw.line, "", f"quiz '{slug}' is not used by any "
                                    "lesson"))
    if problems:
        raise ContentError(problems)
    by_band = {
        band: tuple(sorted((x for x in built.values() if x.band == band), key=lambda x: x.order))
        for band in BANDS
    }
    return Catalogue(lessons=dict(sorted(built.items())), by_band=by_band)


__all__ = ["ContentError", "Problem", "load_catalogue", "following"]
