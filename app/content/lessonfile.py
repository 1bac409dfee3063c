"""One lesson file: the head, the "I can" statements, the misconceptions, the teacher notes
and each step type are checked by their own small functions.

A checked lesson is a typed result (``CheckedLesson``). Step targets (``next:``) and
misconception tags are kept apart, each with the line that named it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import BAND_YEARS, BANDS, FOUR_CS, STRANDS, Choice, Statement, Step, TeacherNotes
from .quizfile import LETTERS
from .render import markdown_to_html
from .yamlfile import SLUG_RE, FileChecker, LineDict, LineList, Problem, Ref, line_of

LESSON_REQUIRED = {
    "slug", "band", "years", "order", "title", "summary", "strands", "four_cs", "picture",
    "picture_alt", "i_can", "misconceptions", "family_tip", "teacher_notes", "quiz", "steps",
}
LESSON_OPTIONAL = {"help_route", "finish"}
STORY_STEPS = (3, 6)


@dataclass
class CheckedLesson:
    """A lesson file that passed its own checks; the quiz is attached by the caller."""

    fields: dict[str, Any]
    rel: str
    quiz: str
    quiz_line: int
    order_line: int
    misconceptions: dict[str, str]
    statement_ids: set[str]
    tags_used: set[str]  # misconception tags the lesson's weak choices name
    misconception_lines: dict[str, int]


@dataclass
class StepRefs:
    """What the steps of a lesson point at, kept apart by kind."""

    targets: list[Ref] = field(default_factory=list)  # 'next:' step ids (or 'quiz')
    tags: list[Ref] = field(default_factory=list)  # misconception tags of weak choices


# --- the head of the file -----------------------------------------------------------------


def _band(fc: FileChecker, data: LineDict, expected_band: str) -> str:
    band = fc.text(data, "band", "")
    if band and band not in BANDS:
        fc.add(data, "band", "", f"unknown band '{band}'; use ks1 or ks2")
    elif band and band != expected_band:
        fc.add(data, "band", "", f"band '{band}' does not match its folder '{expected_band}'")
    return band


def _years(fc: FileChecker, data: LineDict, band: str) -> tuple[int, ...]:
    years = fc.seq(data, "years", "")
    allowed = BAND_YEARS.get(band, ())
    for i, y in enumerate(years):
        if y not in allowed:
            fc.add(years, i, "years", f"year {y!r} is not in band {band or '?'}")
    if "years" in data and not years:
        fc.add(data, "years", "", "'years' is empty")
    return tuple(years)


def _head(fc: FileChecker, data: LineDict, expected_slug: str, expected_band: str,
          image_dir: Path) -> dict[str, Any]:
    """slug, band, years, order, strands, 4 Cs, picture and the plain text fields."""
    fc.fields(data, "", LESSON_REQUIRED, LESSON_OPTIONAL)
    slug = fc.slug(data, "slug", "")
    if slug and slug != expected_slug:
        fc.add(data, "slug", "", f"slug '{slug}' should match the file name '{expected_slug}'")
    band = _band(fc, data, expected_band)
    strands = fc.choose(data, "strands", STRANDS, "strand")
    if "strands" in data and not data["strands"]:
        fc.add(data, "strands", "", "'strands' is empty; name at least one strand")
    four_cs = fc.choose(data, "four_cs", FOUR_CS, "risk",
                        "; use content, contact, conduct or commerce")
    picture, picture_alt = check_picture(fc, data, "picture", "picture_alt", "", image_dir)
    return dict(slug=slug, band=band, years=_years(fc, data, band),
                order=fc.integer(data, "order", ""), title=fc.text(data, "title", ""),
                summary=fc.text(data, "summary", ""), strands=strands, four_cs=four_cs,
                picture=picture or "", picture_alt=picture_alt or "",
                help_route=fc.boolean(data, "help_route", ""),
                family_tip=fc.text(data, "family_tip", ""),
                finish=fc.text(data, "finish", "", required=False))


def check_picture(fc: FileChecker, d: LineDict, key: str, alt_key: str, where: str,
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


def _statements(fc: FileChecker, data: LineDict) -> tuple[Statement, ...]:
    raw = fc.seq(data, "i_can", "")
    fc.count(raw, data, "i_can", "", 2, 4)
    statements = []
    for i, r in enumerate(raw):
        w = f"i_can[{i + 1}]"
        d = fc.mapping(r, w, raw, i)
        fc.fields(d, w, {"id", "text"}, set())
        statements.append(Statement(fc.slug(d, "id", w), fc.text(d, "text", w)))
    ids = [s.id for s in statements]
    if len(set(ids)) != len(ids):
        fc.add(data, "i_can", "", "two 'I can' statements share an id")
    return tuple(statements)


def _misconceptions(fc: FileChecker, data: LineDict) -> dict[str, str]:
    raw = data.get("misconceptions")
    out: dict[str, str] = {}
    if not isinstance(raw, LineDict):
        if "misconceptions" in data:
            fc.add(data, "misconceptions", "", "'misconceptions' should be a mapping of tag: "
                   "text")
        return out
    for tag, text in raw.items():
        if not isinstance(tag, str) or not SLUG_RE.match(tag):
            fc.add(raw, tag, "misconceptions", f"tag '{tag}' should use a-z, 0-9, hyphens")
        elif not isinstance(text, str) or not text.strip():
            fc.add(raw, tag, "misconceptions", f"tag '{tag}' needs an explanation")
        else:
            out[tag] = text.strip()
    return out


def _teacher_notes(fc: FileChecker, data: LineDict,
                   misconceptions: dict[str, str]) -> TeacherNotes:
    notes = fc.mapping(data.get("teacher_notes", LineDict()), "teacher_notes", data,
                       "teacher_notes")
    if "teacher_notes" in data:
        fc.fields(notes, "teacher_notes", {"goal", "discussion"}, {"notes", "reteach"})
    reteach, reteach_for = _reteach(fc, notes, misconceptions)
    return TeacherNotes(
        goal=fc.text(notes, "goal", "teacher_notes"),
        discussion=fc.text(notes, "discussion", "teacher_notes"),
        notes_html=markdown_to_html(fc.text(notes, "notes", "teacher_notes", False)),
        reteach=reteach, reteach_for=reteach_for,
    )


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


# --- steps --------------------------------------------------------------------------------


@dataclass
class StepContext:
    fc: FileChecker
    image_dir: Path
    statement_ids: set[str]
    refs: StepRefs
    seen: list[str] = field(default_factory=list)


def _choice(cx: StepContext, raw: LineList, ci: int, where: str) -> Choice:
    fc = cx.fc
    cw = f"{where} choice {ci + 1}"
    c = fc.mapping(raw[ci], cw, raw, ci)
    fc.fields(c, cw, {"text", "safe", "feedback"}, {"misconception", "next"})
    safe = fc.boolean(c, "safe", cw)
    mis = fc.slug(c, "misconception", cw) if "misconception" in c else ""
    if mis and safe:
        fc.add(c, "misconception", cw, "a safe choice carries a misconception tag that no "
               "report would read; remove it")
    elif mis:
        cx.refs.tags.append(fc.ref(c, "misconception", cw, mis))
    elif not safe:
        fc.add(c, None, cw, "a weak choice (safe: false) needs a 'misconception' tag")
    nxt = fc.text(c, "next", cw, required=False)
    if nxt:
        cx.refs.targets.append(fc.ref(c, "next", cw, nxt))
    return Choice(LETTERS[ci], fc.text(c, "text", cw), safe, fc.text(c, "feedback", cw),
                  mis or None, nxt or None)


def _scenario_parts(cx: StepContext, d: LineDict, where: str) -> dict[str, Any]:
    fc = cx.fc
    raw = fc.seq(d, "choices", where)
    fc.count(raw, d, "choices", where, 3, 6)
    choices = tuple(_choice(cx, raw, ci, where) for ci in range(len(raw)))
    if raw and not any(ch.safe for ch in choices):
        fc.add(d, "choices", where, "no choice is marked 'safe: true'")
    i_can = fc.id_list(d, "i_can", where)
    for ref in i_can:
        if cx.statement_ids and ref not in cx.statement_ids:
            fc.add(d, "i_can", where, f"'i_can' names '{ref}', which is not one of this "
                   "lesson's 'I can' statements")
    return {"choices": choices, "i_can": i_can}


STEP_FIELDS = {
    "story": ({"id", "type", "title", "body"}, {"picture", "alt", "next"}),
    "scenario": ({"id", "type", "title", "body", "choices"}, {"picture", "alt", "i_can"}),
}


def _step(cx: StepContext, raw: LineList, si: int) -> Step | None:
    """One story or scenario step, or None when its type is unknown."""
    fc = cx.fc
    d = fc.mapping(raw[si], f"steps[{si + 1}]", raw, si)
    sid = d.get("id") if isinstance(d.get("id"), str) else None
    where = f"step {si + 1}" + (f" ({sid})" if sid else "")
    stype = d.get("type")
    if stype not in STEP_FIELDS:
        fc.add(d, "type" if "type" in d else None, where,
               f"unknown step type '{stype}'; use story or scenario"
               if "type" in d else "missing field 'type'")
        return None
    fc.fields(d, where, *STEP_FIELDS[stype])
    sid = fc.slug(d, "id", where)
    if sid in cx.seen:
        fc.add(d, "id", where, f"duplicate step id '{sid}'")
    cx.seen.append(sid)
    pic, alt = check_picture(fc, d, "picture", "alt", where, cx.image_dir)
    parts = _scenario_parts(cx, d, where) if stype == "scenario" else {}
    nxt = fc.text(d, "next", where, required=False)
    if nxt:
        cx.refs.targets.append(fc.ref(d, "next", where, nxt))
    body = fc.text(d, "body", where)
    return Step(sid, si, stype, fc.text(d, "title", where), body, markdown_to_html(body), pic,
                alt, next=nxt or None, **parts)


def _steps(cx: StepContext, data: LineDict) -> tuple[Step, ...]:
    fc = cx.fc
    raw = fc.seq(data, "steps", "")
    steps = tuple(s for si in range(len(raw)) if (s := _step(cx, raw, si)) is not None)
    n_story = sum(s.type == "story" for s in steps)
    if raw and not STORY_STEPS[0] <= n_story <= STORY_STEPS[1]:
        fc.add(data, "steps", "", f"has {n_story} story steps; a lesson needs "
               f"{STORY_STEPS[0]} to {STORY_STEPS[1]}")
    if raw and not any(s.type == "scenario" for s in steps):
        fc.add(data, "steps", "", "has no scenario step; a lesson needs at least one")
    return steps


def _links(fc: FileChecker, raw_steps: Any, steps: tuple[Step, ...], refs: StepRefs,
           misconceptions: dict[str, str]) -> None:
    """Every 'next' names a step (or the quiz), every tag is declared, every step is reached."""
    known = {s.id for s in steps} | {"quiz"}
    for ref in refs.targets:
        if ref.value not in known:
            fc.problems.append(Problem(fc.rel, ref.line, ref.where, f"'next' points to missing "
                                       f"step '{ref.value}'"))
    for ref in refs.tags:
        if misconceptions and ref.value not in misconceptions:
            fc.problems.append(Problem(fc.rel, ref.line, ref.where, f"misconception "
                                       f"'{ref.value}' is not declared in 'misconceptions'"))
    if fc.ok and steps:
        reached = reachable(steps)
        for s in steps:
            if s.id not in reached:
                fc.add(raw_steps, s.index, f"step {s.index + 1} ({s.id})", "orphan step: no "
                       "path from the first step reaches it")


def following(steps: tuple[Step, ...] | list[Step], step: Step) -> str:
    """Where a step leads by default: the next step in the file, or the quiz after the last."""
    return steps[step.index + 1].id if step.index + 1 < len(steps) else "quiz"


def targets(steps: tuple[Step, ...] | list[Step], step: Step) -> set[str]:
    """The steps (or 'quiz') a pupil can go on to from ``step``."""
    if step.type == "story":
        return {step.next or following(steps, step)}
    out = set()
    for c in step.choices:
        if c.next:
            out.add(c.next)
        elif c.safe:
            out.add(following(steps, step))
    return out


def reachable(steps: tuple[Step, ...] | list[Step]) -> set[str]:
    by_id = {s.id: s for s in steps}
    seen: set[str] = set()
    todo = [steps[0].id]
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        todo.extend(targets(steps, by_id[sid]))
    return seen


def check_lesson(data: LineDict, rel: str, expected_slug: str, expected_band: str,
                 image_dir: Path, problems: list[Problem]) -> CheckedLesson | None:
    """Check one lesson file; None when it has problems (they are added to ``problems``)."""
    fc = FileChecker(rel, problems)
    fields = _head(fc, data, expected_slug, expected_band, image_dir)
    statements = _statements(fc, data)
    misconceptions = _misconceptions(fc, data)
    notes = _teacher_notes(fc, data, misconceptions)
    refs = StepRefs()
    steps = _steps(StepContext(fc, image_dir, {s.id for s in statements}, refs), data)
    _links(fc, data.get("steps"), steps, refs, misconceptions)
    fields.update(i_can=statements, misconceptions=tuple(misconceptions.items()),
                  teacher_notes=notes, steps=steps, path=rel)
    quiz_slug = fc.slug(data, "quiz", "")
    if not fc.ok:
        return None
    lines = {tag: line_of(data["misconceptions"], tag) for tag in misconceptions}
    return CheckedLesson(fields, rel, quiz_slug, line_of(data, "quiz"), line_of(data, "order"),
                         misconceptions, {s.id for s in statements},
                         {r.value for r in refs.tags}, lines)
