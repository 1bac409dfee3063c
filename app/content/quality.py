"""Quality checks on the course text: which blocks pupils read, how hard they are to read,
and words that must never reach a child. Plain functions, used by the test suite.

A "block" is one piece of text a pupil reads on its own: a title, a step body, one choice's
feedback. Family tips and teacher notes are for adults and are not blocks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only our own files, and DOCTYPE/ENTITY are refused first
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import textstat
import yaml
from markdown_it import MarkdownIt

from .model import Lesson, Question, Step

# Flesch-Kincaid grade ceilings (docs/curriculum.md, "How we speak to children"): reading age
# 5-7 (KS1), 7-11 (KS2).
MAX_GRADE = {"ks1": 3.0, "ks2": 6.0}

_md = MarkdownIt("js-default")


@dataclass(frozen=True)
class Block:
    lesson: str  # lesson slug
    where: str  # e.g. "step meet-mo body", "question scary-video option 2 feedback"
    text: str  # plain text, Markdown already stripped


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown body: one line per paragraph, list item or heading.

    A list item or heading with no full stop is still a unit of reading, so it gets one;
    otherwise the grade formula would read a whole list as one long sentence.
    """
    parts = []
    for token in _md.parse(source or ""):
        if token.type != "inline":
            continue
        text = "".join(
            " " if child.type in ("softbreak", "hardbreak") else child.content
            for child in token.children or ()
        )
        text = " ".join(text.split())
        if not text:
            continue
        if text[-1] not in ".!?\u2026\"\u201d'\u2019:":
            text += "."
        parts.append(text)
    return "\n".join(parts)


def pupil_blocks(lesson: Lesson, include_alt: bool = False) -> Iterator[Block]:
    """Every block of a lesson (and its quiz) that a pupil reads, with where it is.

    ``include_alt`` adds picture alt text, which a screen reader reads to a pupil: checked for
    words that must never reach a child, but not for reading level (it describes a picture).
    """
    slug = lesson.slug
    yield Block(slug, "title", lesson.title)
    yield Block(slug, "summary", lesson.summary)
    if lesson.finish:
        yield Block(slug, "finish", lesson.finish)
    if include_alt:
        yield Block(slug, "picture_alt", lesson.picture_alt)
    for s in lesson.i_can:
        yield Block(slug, f"i_can {s.id}", s.text)
    for step in lesson.steps:
        for where, text in _step_texts(step, include_alt):
            yield Block(slug, where, text)
    for q in lesson.quiz.questions:
        for where, text in _question_texts(q):
            yield Block(slug, where, text)


def _step_texts(step: Step, include_alt: bool) -> Iterator[tuple[str, str]]:
    w = f"step {step.id}"
    yield f"{w} title", step.title
    yield f"{w} body", markdown_to_text(step.body)
    if include_alt and step.alt:
        yield f"{w} alt", step.alt
    for n, c in enumerate(step.choices, 1):
        yield f"{w} choice {n} text", c.text
        yield f"{w} choice {n} feedback", c.feedback


def _question_texts(q: Question) -> Iterator[tuple[str, str]]:
    w = f"question {q.id}"
    yield f"{w} prompt", q.prompt
    for n, o in enumerate(q.options, 1):  # choice options, explain reasons
        yield f"{w} option {n} text", o.text
        yield f"{w} option {n} feedback", o.feedback
    if q.type == "true_false":
        yield f"{w} feedback_true", q.feedback_true
        yield f"{w} feedback_false", q.feedback_false
    for n, item in enumerate(q.items, 1):
        yield f"{w} item {n}", item
    if q.type == "order":
        yield f"{w} feedback_right", q.feedback_right
        yield f"{w} feedback_wrong", q.feedback_wrong
    for g in q.groups:
        yield f"{w} group {g.id}", g.label
    for n, sort_item in enumerate(q.sort_items, 1):
        yield f"{w} item {n} text", sort_item.text
        yield f"{w} item {n} feedback", sort_item.feedback


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of a block, rounded to one decimal place."""
    return round(float(textstat.flesch_kincaid_grade(text)), 1)


def too_hard(lesson: Lesson) -> Iterator[tuple[Block, float]]:
    """Blocks above the lesson's band ceiling, with their grade."""
    ceiling = MAX_GRADE[lesson.band]
    for b in pupil_blocks(lesson):
        grade = reading_grade(b.text)
        if grade > ceiling:
            yield b, grade


# --- reading-level exceptions -------------------------------------------------------------


@dataclass(frozen=True)
class ReadingException:
    lesson: str
    where: str
    reason: str


def load_reading_exceptions(path: Path | str) -> list[ReadingException]:
    """Entries of lessons/reading-exceptions.yaml; a missing file means no exceptions."""
    path = Path(path)
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: should be a list of {{lesson, where, reason}}")
    out = []
    for n, entry in enumerate(data, 1):
        if not isinstance(entry, dict) or set(entry) - {"lesson", "where", "reason"}:
            raise ValueError(f"{path.name}: entry {n} should have only lesson, where, reason")
        out.append(ReadingException(str(entry.get("lesson") or "").strip(),
                                    str(entry.get("where") or "").strip(),
                                    str(entry.get("reason") or "").strip()))
    return out


def exception_problems(lessons: dict[str, Lesson],
                       exceptions: list[ReadingException]) -> list[str]:
    """What is wrong with the exceptions list: no reason, listed twice, or stale (the block
    is gone, or it now reads at its band's level, so the excuse is not needed)."""
    problems = []
    seen = set()
    for e in exceptions:
        name = f"{e.lesson} / {e.where}"
        if (e.lesson, e.where) in seen:
            problems.append(f"{name}: listed twice")
        seen.add((e.lesson, e.where))
        if not e.reason:
            problems.append(f"{name}: no reason given")
        lesson = lessons.get(e.lesson)
        block = next((b for b in pupil_blocks(lesson) if b.where == e.where), None) \
            if lesson else None
        if block is None or lesson is None:
            problems.append(f"{name}: matches no block (stale: remove it)")
        elif (grade := reading_grade(block.text)) <= MAX_GRADE[lesson.band]:
            problems.append(f"{name}: now reads at grade {grade}, so it is not needed")
    return problems


# --- words that must never reach a child --------------------------------------------------

# Blame and shame (docs/curriculum.md: "Never blame the child"). "your fault" is fine when it is
# denied ("it is not your fault"), so a negation just before it is allowed.
_NEGATED = r"(?<!\bnot )(?<!\bnever )(?<!n't )(?<!n\u2019t )"
BLAME_PATTERNS = {
    "your fault": re.compile(_NEGATED + r"\byour (?:own )?fault\b", re.I),
    "you should have known": re.compile(r"\byou should(?: have|'ve|\u2019ve) known\b", re.I),
    "stupid": re.compile(r"\bstupid", re.I),
    "naughty": re.compile(r"\bnaught(?:y|ier|iest)\b", re.I),
    "you deserve it": re.compile(r"\byou deserved? (?:it|this|that|what)\b", re.I),
    "shame on you": re.compile(r"\bshame on you\b", re.I),
    "asking for it": re.compile(r"\basking for it\b", re.I),
    "brought it on yourself": re.compile(r"\bbrought it on yourself\b", re.I),
    "only yourself to blame": re.compile(r"\b(?:only|just) (?:have )?yourself to blame\b", re.I),
}


def blame_phrases(text: str) -> list[str]:
    """Blame or shame phrases found in ``text`` (empty when it is fine)."""
    return [name for name, rx in BLAME_PATTERNS.items() if rx.search(text)]


# Real brand names date fast; lessons say "a video app" or "chat in a game" (docs/curriculum.md).
BRANDS = (
    "TikTok", "YouTube", "Instagram", "Snapchat", "WhatsApp", "Roblox", "Minecraft",
    "Fortnite", "Facebook", "Discord", "Twitch", "Twitter", "Google", "Netflix", "Xbox",
    "PlayStation", "Nintendo", "Pokemon", "Pok\u00e9mon", "Spotify",
)
# Everyday English words: match only with the brand's capital letter.
_WORD_BRANDS = {"Discord", "Twitch"}
_BRAND_RE = {
    b: re.compile(r"\b" + r"\s?".join(map(re.escape, re.findall("[A-Z][a-z\u00e9]*|[a-z]+", b)))
                  + r"\b", 0 if b in _WORD_BRANDS else re.I)
    for b in BRANDS
}


def brand_names(text: str) -> list[str]:
    """Brand names found in ``text`` (also spelt apart, e.g. "You Tube")."""
    return [b for b, rx in _BRAND_RE.items() if rx.search(text)]


# --- lesson pictures ----------------------------------------------------------------------

MAX_PICTURE_BYTES = 8 * 1024
SVG_NS = "http://www.w3.org/2000/svg"
_KNOWN_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")
_URL_RE = re.compile(r"(?:https?:|ftp:|data:|//)", re.I)
_CSS_URL_RE = re.compile(r"url\(\s*['\"]?(?!#)", re.I)


def svg_problems(path: Path | str) -> list[str]:
    """What is wrong with a lesson picture (content-format.md, "Pictures"); empty when fine.

    A valid SVG with a viewBox, under 8 KB, nothing fetched from elsewhere (no http:, no
    external href, no <image>), no script or event handlers, and no words drawn in it.
    """
    path = Path(path)
    if not path.is_file():
        return [f"{path.name}: file not found"]
    raw = path.read_bytes()
    out = []
    if len(raw) >= MAX_PICTURE_BYTES:
        out.append(f"{path.name}: {len(raw)} bytes; a picture must be under {MAX_PICTURE_BYTES}")
    text = raw.decode("utf-8", errors="replace")
    if re.search(r"<!(?:DOCTYPE|ENTITY)", text, re.I):
        return out + [f"{path.name}: has a DOCTYPE or ENTITY; plain SVG only"]
    scrubbed = text
    for ns in _KNOWN_NAMESPACES:
        scrubbed = scrubbed.replace(ns, "")
    if _URL_RE.search(scrubbed):
        out.append(f"{path.name}: refers to something outside the file (http:, data: or //)")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        return out + [f"{path.name}: not valid XML ({exc})"]
    if root.tag != f"{{{SVG_NS}}}svg":
        return out + [f"{path.name}: the root element is not <svg> in the SVG namespace"]
    if not (root.get("viewBox") or "").strip():
        out.append(f"{path.name}: <svg> has no viewBox")
    for el in root.iter():
        out += _element_problems(path.name, el)
    return list(dict.fromkeys(out))


def _element_problems(file: str, el: ET.Element) -> list[str]:
    """What one SVG element must not have: script-like elements, words, handlers, links."""
    out = []
    name = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
    if name in ("script", "foreignObject", "image", "iframe", "object", "embed"):
        out.append(f"{file}: has a <{name}> element")
    if name in ("text", "tspan", "textPath"):
        out.append(f"{file}: has words drawn in it (<{name}>); words belong in the page")
    for attr, value in el.attrib.items():
        local = attr.rsplit("}", 1)[-1]
        if local.lower().startswith("on"):
            out.append(f"{file}: <{name}> has an event handler '{local}'")
        if local == "href" and not value.startswith("#"):
            out.append(f"{file}: <{name}> links to '{value}' outside the file")
        if _CSS_URL_RE.search(value):
            out.append(f"{file}: <{name}> {local} uses url() outside the file")
    if name == "style" and el.text and (_CSS_URL_RE.search(el.text) or "@import" in el.text):
        out.append(f"{file}: <style> loads something from outside the file")
    return out
