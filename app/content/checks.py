"""Course rules of the second edition (issue 10), run by ``flask check-content`` and the tests.

Two kinds of rule:

* **Safety rules** hold for any course, even a one-lesson one: no advice to screenshot, save,
  keep or forward a picture of a body; one block-and-tell routine in one order; no under-13
  shown with an account or public stream as normal; help routes name Childline; sensitive
  lessons open with safe-teaching notes and never ask for personal stories in front of the class.
* **Course standards** are the numbers a whole course is held to (lessons per year group,
  questions per quiz, true/false balance, answer-position spread, consequences in scenarios).

A course opts in to the second edition with ``lessons/standards.yaml`` (which holds the
numbers); a course without that file (the tiny first-edition test course in tests/fixtures) is
checked by the loader only. The real course ships the file, and tests/test_course_rules.py
makes sure it stays there with the agreed values.

Everything returns plain ``file:line: where: what`` lines, like the loader.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .framework import framework_problems, load_framework, mapped_in_year
from .lessonfile import following, targets
from .model import CHOICE_TYPES, STRANDS, Catalogue, Lesson, Question, Step
from .quality import markdown_to_text, pupil_blocks
from .yamlfile import ContentError

STANDARDS_FILE = "lessons/standards.yaml"

# --- the block-and-tell routine (docs/curriculum.md, "One block-and-tell routine") ----------

# The same words in every order question. KS2 keeps KS1's order (stop, don't reply, tell,
# block) and adds keeping the words and reporting; it never contradicts KS1.
ROUTINE = {
    "ks1": ("Stop.", "Don't reply.", "Tell a grown-up you trust. They can help you block."),
    "ks2": ("Stop. Don't reply.", "Tell a trusted adult.",
            "Keep the messages. Never keep a picture of a body.",
            "Block and report, with the adult's help."),
}
# The order in which the steps may be named in any text of the band.
ROUTINE_ORDER = {"ks1": ("stop", "reply", "tell", "block"),
                 "ks2": ("stop", "reply", "tell", "keep", "block")}
_STEP_PATTERNS = {
    "stop": re.compile(r"(?:^|[.!:]\s+|\*\*)stop\b(?! chatting)", re.I),
    "reply": re.compile(r"\b(?:don't|don\u2019t|do not|never|not) (?:reply|answer)", re.I),
    "tell": re.compile(r"\btell(?:s|ing)? (?:a|an|your|mum|dad|nan|gran|grandad|the|someone|"
                       r"mr|mrs|miss|ms|them|him|her|us)\b", re.I),
    "keep": re.compile(r"\bkeep(?:s|ing)? (?:the |a copy of the |)(?:messages?|proof|"
                       r"evidence|words)\b|\bscreenshots?\b", re.I),
    "block": re.compile(r"\bblock(?:s|ing|ed)?\b(?! of)", re.I),
}


def routine_steps(text: str) -> list[str]:
    """The routine steps ``text`` names, in the order it first names them."""
    found = []
    for step, rx in _STEP_PATTERNS.items():
        m = rx.search(text)
        if m:
            found.append((m.start(), step))
    return [step for _, step in sorted(found)]


def routine_order_problem(text: str, band: str) -> str | None:
    """Why ``text`` teaches the routine in another order than the band's, or None.

    A text counts as teaching the routine when it names at least three of its steps,
    one of them "don't reply" or "block".
    """
    steps = routine_steps(text)
    if len(steps) < 3 or not {"reply", "block"} & set(steps):
        return None
    order = ROUTINE_ORDER[band]
    if band == "ks1" and "keep" in steps:
        return "KS1's routine is stop, don't reply, tell (the adult helps block); it has no " \
               "'keep the messages' step"
    ranks = [order.index(s) for s in steps]
    if ranks != sorted(ranks):
        return (f"names the steps as {', '.join(steps)}; the {band.upper()} routine is "
                f"{', '.join(s for s in order)}")
    return None


def is_routine_question(q: Question) -> bool:
    """An order question about what to do when someone is unkind or worrying online."""
    if q.type != "order":
        return False
    steps = {s for item in q.items for s in routine_steps(item)}
    return len(steps) >= 2 and bool({"reply", "block"} & steps)


# --- pictures of bodies are never kept (docs/curriculum.md, "Pictures") --------------------

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_PICTURE_WORDS = re.compile(r"\b(?:pictures?|photos?|photographs?|images?|selfies?|pics?|"
                            r"videos?|nudes?|bod(?:y|ies)|private parts|camera|webcam)\b", re.I)
_SCREENSHOT_ACT = re.compile(
    r"\b(?:take|takes|took|taken|taking|make|makes|made|making|get|grab)\s+(?:a\s+|some\s+|"
    r"the\s+)?(?:screenshots?|screen\s?shots?|screen[- ]grabs?|screen recordings?|"
    r"(?:picture|photo)s? of the screen)\b|\bscreenshot(?:s|ted|ting)?\s+(?:it|them|this|that|"
    r"the|a|an|your|her|his|their)\b|\bscreen[- ]record(?:s|ed|ing)?\s+(?:it|them|the)\b", re.I)
_KEEP_ACT = re.compile(r"\b(?:save|saves|saved|saving|(?:keep|keeps|kept|keeping) (?:it|them|this|"
                       r"that|the|a|an|copies|proof|evidence|hold of)|store|stores|"
                       r"download|downloads|forward|forwards|forwarding|copy|copies|"
                       r"send(?:s|ing)? (?:it|them) on|pass(?:es|ing)? (?:it|them) on|"
                       r"send on|pass on)\b", re.I)
# A sentence that warns or says what others can do is not advice.
_NEGATED = re.compile(r"\b(?:don't|don\u2019t|do not|never|not|no|nobody|no one|can't|"
                      r"can\u2019t|cannot|won't|won\u2019t|mustn't|shouldn't|isn't|stop)\b",
                      re.I)
_FACT = re.compile(r"\b(?:can|could|may|might|will)(?: still| also| easily| even| quickly)?"
                   r" (?:be|have)\b|\b(?<!you )(?<!we )(?:can|could|may|might)\b", re.I)
_YOU_MAY = re.compile(r"\b(?:you|we) (?:can|could|may|might)\b", re.I)
# The plain exception every "keep the messages" lesson must state.
_BODY_PICTURE = r"\bpictures? of (?:a |your |someone's |anyone's |people's )?bod(?:y|ies)\b"
_NEVER = r"\b(?:never|not|don't|don\u2019t|do not)\b"
BODY_EXCEPTION = re.compile(rf"{_NEVER}[^.]{{0,40}}{_BODY_PICTURE}|{_BODY_PICTURE}[^.]{{0,40}}"
                            rf"{_NEVER}", re.I)
_TEACHES_KEEPING = re.compile(r"\bkeep(?:s|ing)? (?:the |a copy of the |)(?:messages?|proof|"
                              r"evidence)\b", re.I)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text or "") if s.strip()]


def _is_advice(sentence: str) -> bool:
    if _NEGATED.search(sentence):
        return False
    return not (_FACT.search(sentence) and not _YOU_MAY.search(sentence))


def picture_keeping_advice(text: str) -> list[str]:
    """Sentences of ``text`` that advise (or show someone) keeping, saving, screenshotting or
    forwarding where a picture is in question. Empty when the text is safe.

    A sentence is flagged when it is advice (not a warning such as "don't save it", nor a
    fact such as "anyone can save it") and either keeps or forwards a picture, or takes a
    screenshot in a text that speaks of pictures, unless the text also says plainly that this
    never applies to pictures of bodies.
    """
    found = []
    pictures_here = bool(_PICTURE_WORDS.search(text or ""))
    excused = bool(BODY_EXCEPTION.search(text or ""))
    for sentence in _sentences(text):
        if not _is_advice(sentence):
            continue
        shot = _SCREENSHOT_ACT.search(sentence)
        keeps_picture = _KEEP_ACT.search(sentence) and _PICTURE_WORDS.search(
            _SCREENSHOT_ACT.sub("", sentence))
        if keeps_picture or (shot and pictures_here and not excused):
            found.append(sentence)
    return found


# --- age limits ---------------------------------------------------------------------------

_AGE_RISK = re.compile(r"\b(?:(?:her|his|their|my|your) own (?:social media |video |"
                       r"streaming )?(?:account|channel|profile)|secret (?:account|profile)|"
                       r"(?:live )?stream(?:s|ing)? (?:herself|himself|themselves|yourself)|"
                       r"public (?:live )?stream|social media|(?:her|his|their|my|your) "
                       r"(?:video |streaming )?channel)\b", re.I)
_AGE_LIMIT = re.compile(r"\b(?:13|thirteen)\b")


# --- safe teaching --------------------------------------------------------------------------

_DISCLOSURE_PROMPT = re.compile(
    r"\bhas (?:this|that|anything like this|something like this) (?:ever )?happened to you\b|"
    r"\bhave you (?:ever )?(?:been|had|seen|felt|sent|received|got)\b|"
    r"\btell (?:us|the class|your partner|the group) about a time\b|"
    r"\bshare (?:your|their|a|an) (?:own |real |personal )?(?:experiences?|story|stories)\b|"
    r"\bwho (?:here )?has (?:ever )?(?:been|had|seen|sent)\b|"
    r"\bhands up if you(?:'ve| have)\b", re.I)


def disclosure_prompts(text: str) -> list[str]:
    """Questions in an adult's text that ask pupils for their own experiences ("Has this
    happened to you?"); a sentence that warns against asking them is fine."""
    return [m.group(0) for s in _sentences(text) if not _NEGATED.search(s)
            for m in [_DISCLOSURE_PROMPT.search(s)] if m]


SAFE_TEACHING_HEADING = "Safe teaching"
_SAFE_TEACHING_PARTS = {
    "ground rules": re.compile(r"\bground rules\b", re.I),
    "a distancing technique": re.compile(r"\bdistanc", re.I),
    "what to do if a child discloses": re.compile(r"\bdisclos", re.I),
    "the school's safeguarding lead": re.compile(r"\bsafeguarding lead\b|\bDSL\b"),
}


# --- one text of a lesson, with where it is -------------------------------------------------


@dataclass(frozen=True)
class Text:
    where: str
    text: str
    pupil: bool  # read by a pupil (else by an adult: family tip, teacher notes)
    advice: bool = True  # False for what the course shows as wrong: a weak choice, a wrong
    # option, a false true/false statement, an item to sort


def _not_advice(lesson: Lesson) -> set[str]:
    """The ``where`` of every text that the course presents as wrong or as a case to judge."""
    out = set()
    for step in lesson.steps:
        for n, c in enumerate(step.choices, 1):
            if not c.safe:
                out.add(f"step {step.id} choice {n} text")
    for q in lesson.quiz.questions:
        w = f"question {q.id}"
        if q.type == "choice":
            out |= {f"{w} option {n} text" for n, o in enumerate(q.options, 1) if not o.correct}
        elif q.type == "true_false" and q.answer is False:
            out.add(f"{w} prompt")
        elif q.type == "sort":
            out |= {f"{w} item {n} text" for n in range(1, len(q.sort_items) + 1)}
    return out


def _raw(root: Path, rel: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def lesson_texts(lesson: Lesson, root: Path) -> Iterator[Text]:
    """Every text of a lesson and its quiz: what pupils read, then the adults' texts."""
    wrong = _not_advice(lesson)
    for b in pupil_blocks(lesson, include_alt=True):
        yield Text(b.where, b.text, True, b.where not in wrong)
    yield Text("family_tip", lesson.family_tip, False)
    notes = _raw(root, lesson.path).get("teacher_notes") or {}
    if isinstance(notes, dict):
        for key in ("goal", "discussion"):
            yield Text(f"teacher_notes {key}", str(notes.get(key) or ""), False)
        yield Text("teacher_notes notes", markdown_to_text(str(notes.get("notes") or "")),
                   False)


def teacher_notes_source(lesson: Lesson, root: Path) -> str:
    notes = _raw(root, lesson.path).get("teacher_notes") or {}
    return str(notes.get("notes") or "") if isinstance(notes, dict) else ""


class _Locator:
    """Line numbers for problems: the first line of the file holding a snippet of the text."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[str, list[str]] = {}

    def line(self, rel: str, *snippets: str) -> int:
        if rel not in self.cache:
            try:
                self.cache[rel] = (self.root / rel).read_text(encoding="utf-8").splitlines()
            except OSError:
                self.cache[rel] = []
        for snippet in snippets:
            words = re.findall(r"[A-Za-z0-9']+", snippet or "")[:6]
            if not words:
                continue
            rx = re.compile(r"[^A-Za-z0-9']+".join(map(re.escape, words)), re.I)
            for n, text in enumerate(self.cache[rel], 1):
                if rx.search(text):
                    return n
        return 1


def _quiz_where(where: str) -> bool:
    return where.startswith("question ")


# --- safety rules ---------------------------------------------------------------------------


class _Out:
    """Collects ``file:line: where: what`` lines for lessons, finding the line of a snippet."""

    def __init__(self, root: Path):
        self.root = root
        self.loc = _Locator(root)
        self.lines: list[str] = []

    def add(self, lesson: Lesson, where: str, message: str, snippet: str = "") -> None:
        rel = lesson.quiz.path if _quiz_where(where) else lesson.path
        self.lines.append(f"{rel}:{self.loc.line(rel, snippet, where.split()[-1])}: {where}: "
                          f"{message}")

    def at(self, rel: str, snippet: str, message: str) -> None:
        self.lines.append(f"{rel}:{self.loc.line(rel, snippet)}: {message}")


def _text_problems(out: _Out, lesson: Lesson, t: Text, pupil_text: str) -> None:
    """The rules that read one text: pictures, the routine's order, age limits, disclosure."""
    for sentence in picture_keeping_advice(t.text) if t.advice else ():
        out.add(lesson, t.where, "advice to screenshot, save, keep or forward where a picture "
                f"is in question ({sentence!r}); pictures of bodies are never kept: don't "
                "look again, don't save, don't forward, tell a trusted adult", sentence)
    # An adult's text is read a paragraph at a time; a pupil's block as a whole.
    for part in [t.text] if t.pupil else t.text.splitlines():
        problem = routine_order_problem(part, lesson.band)
        if problem:
            out.add(lesson, t.where, f"block-and-tell in another order: {problem}", part)
    risk = _AGE_RISK.search(t.text) if t.pupil else None
    if risk and not _AGE_LIMIT.search(pupil_text):
        out.add(lesson, t.where, "speaks of a child's own account, social media or stream, "
                "but the lesson never says most social media is for 13 and over", risk.group(0))
    for prompt in [] if t.pupil else disclosure_prompts(t.text):
        out.add(lesson, t.where, f"invites personal stories in front of the class ({prompt!r}); "
                "use a distancing question about a character instead", prompt)


def _lesson_safety(out: _Out, lesson: Lesson, pupil_text: str) -> None:
    """The rules that read a whole lesson: the body-picture exception, the routine's words,
    Childline on every help route and CEOP for KS2 contact."""
    if _TEACHES_KEEPING.search(pupil_text) and not BODY_EXCEPTION.search(pupil_text):
        out.add(lesson, "steps", "teaches keeping the messages, but never says plainly that "
                "this never applies to pictures of bodies", "keep the messages")
    for q in lesson.quiz.questions:
        if is_routine_question(q) and tuple(q.items) != ROUTINE[lesson.band]:
            out.add(lesson, f"question {q.id}", "a block-and-tell order question must use the "
                    f"{lesson.band.upper()} routine's words: {list(ROUTINE[lesson.band])}",
                    f"id: {q.id}")
    if lesson.help_route and "0800 1111" not in pupil_text:
        out.add(lesson, "steps", "a help-route lesson must name Childline (0800 1111) for "
                "pupils", "help_route")
    if lesson.help_route and lesson.band == "ks2" and "contact" in lesson.four_cs \
            and "online-relationships" in lesson.strands and "CEOP" not in pupil_text:
        out.add(lesson, "steps", "a KS2 lesson about contact must tell pupils they can report "
                "to CEOP themselves (the Click CEOP button)", "help_route")


def safety_problems(catalogue: Catalogue, root: Path | str) -> list[str]:
    """Problems with the safety rules and the words that never contradict; they hold for
    any course."""
    out = _Out(Path(root))
    for lesson in catalogue.lessons.values():
        texts = list(lesson_texts(lesson, out.root))
        pupil_text = " ".join(t.text for t in texts if t.pupil)
        for t in texts:
            _text_problems(out, lesson, t, pupil_text)
        _lesson_safety(out, lesson, pupil_text)
        for where, message, snippet in contradicting_feedback(lesson) \
                + parent_words_for_pupils(lesson):
            out.add(lesson, where, message, snippet)
    return out.lines


# --- words that never contradict (issue 15) -----------------------------------------------

_YES = re.compile(r"^\W*(?:yes|yeah|yep)\b", re.I)
_NO = re.compile(r"^\W*(?:no|nope)\b(?!\s+(?:one|way)\b)", re.I)
_PRAISE = re.compile(r"^\W*(?:yes|that's right|that\u2019s right|right|correct|well done|great|"
                     r"good (?:thinking|choice|job))\b", re.I)


def _said_no(text: str) -> bool:
    return bool(_NO.match(text)) or text.strip().lower() in ("false", "false.")


Found = tuple[str, str, str]  # where, what is wrong, a snippet of the text (for the line)


def contradicting_feedback(lesson: Lesson) -> list[Found]:
    """Feedback that contradicts the answer it follows: a right "No" (or "False") answer
    answered with "Yes...", or a wrong answer praised ("Yes", "Well done", "That's right")."""
    out = []
    for step in lesson.steps:
        for n, c in enumerate(step.choices, 1):
            out += _feedback_clash(f"step {step.id} choice {n} feedback", c.text, c.safe,
                                   c.feedback)
    for q in lesson.quiz.questions:
        w = f"question {q.id}"
        for n, o in enumerate(q.options, 1):
            out += _feedback_clash(f"{w} option {n} feedback", o.text, o.correct, o.feedback)
        if q.type == "true_false":
            out += _feedback_clash(f"{w} feedback_true", "True", q.answer is True,
                                   q.feedback_true)
            out += _feedback_clash(f"{w} feedback_false", "False", q.answer is False,
                                   q.feedback_false)
    return out


def _feedback_clash(where: str, answer: str, right: bool, feedback: str) -> list[Found]:
    praise = _PRAISE.match(feedback)
    if right and _said_no(answer) and _YES.match(feedback):
        return [(where, f"the right answer is {answer.split()[0].strip('.,!')!r}, but its "
                 "feedback starts with 'Yes'; start with 'That's right' or say why instead",
                 feedback)]
    if not right and praise:
        return [(where, f"feedback for a wrong answer starts with praise "
                 f"({praise.group(0).strip()!r}); it contradicts 'Not quite'", feedback)]
    return []


_TO_PARENTS = re.compile(r"\b(?:your|with your) (?:child|children|son|daughter)\b", re.I)


def parent_words_for_pupils(lesson: Lesson) -> list[Found]:
    """A tip written for parents is never shown to a child: the finish page has the pupil's
    own words (``finish``), and no pupil text speaks to a parent."""
    if not lesson.finish:
        return [("finish", "no 'finish' words for the pupil's finish page (the family tip is "
                 "written for parents and is not shown to a child)", "family_tip:")]
    out = []
    for b in pupil_blocks(lesson):
        m = _TO_PARENTS.search(b.text)
        if m:
            out.append((b.where, f"speaks to a parent ({m.group(0)!r}) in text a pupil reads; "
                        "put it in the family tip", b.text))
    if lesson.finish.strip() == lesson.family_tip.strip():
        out.append(("finish", "the finish words are the family tip; write them for the pupil",
                    "finish:"))
    return out


# --- course standards -----------------------------------------------------------------------


@dataclass(frozen=True)
class Standards:
    min_lessons_per_year: int = 0
    min_questions: int = 0
    true_share: tuple[float, float] = (0.0, 1.0)
    max_longest_right: float = 1.0  # share of choice questions whose right answer is longest
    max_same_position: float = 1.0  # share of right answers at one position (file order)
    min_ks2_scenarios: int = 1
    consequence_step: bool = False  # a weak choice leads to a story step (what happens next)
    min_ks2_branching: float = 0.0  # share of KS2 scenarios that branch to different endings
    reasoning_item: bool = False  # every quiz has an "explain why" or "what would you do" item
    sensitive_lessons: tuple[str, ...] = ()
    declared: bool = False


def load_standards(root: Path | str) -> Standards:
    path = Path(root) / STANDARDS_FILE
    if not path.is_file():
        return Standards()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tf = data.get("true_share", [0.0, 1.0])
    return Standards(
        min_lessons_per_year=int(data.get("min_lessons_per_year", 0)),
        min_questions=int(data.get("min_questions", 0)),
        true_share=(float(tf[0]), float(tf[1])),
        max_longest_right=float(data.get("max_longest_right", 1.0)),
        max_same_position=float(data.get("max_same_position", 1.0)),
        min_ks2_scenarios=int(data.get("min_ks2_scenarios", 1)),
        consequence_step=bool(data.get("consequence_step", False)),
        min_ks2_branching=float(data.get("min_ks2_branching", 0.0)),
        reasoning_item=bool(data.get("reasoning_item", False)),
        sensitive_lessons=tuple(data.get("sensitive_lessons") or ()),
        declared=True,
    )


@dataclass
class Stats:
    """Numbers for one group of lessons (a band or a year group)."""

    lessons: int = 0
    strands: set[str] = field(default_factory=set)
    statements: int = 0
    questions: int = 0
    tf_true: int = 0
    tf_total: int = 0
    choice_total: int = 0
    longest_right: int = 0
    positions: Counter[int] = field(default_factory=Counter)

    def add(self, lesson: Lesson) -> None:
        self.lessons += 1
        self.strands |= set(lesson.strands)
        self.statements += len(lesson.i_can)
        for q in lesson.quiz.questions:
            self.questions += 1
            if q.type == "true_false":
                self.tf_total += 1
                self.tf_true += bool(q.answer)
            elif q.type in CHOICE_TYPES:
                self.choice_total += 1
                right = next(n for n, o in enumerate(q.options) if o.correct)
                self.positions[right + 1] += 1
                if right_is_longest(q):
                    self.longest_right += 1

    @property
    def true_share(self) -> float:
        return self.tf_true / self.tf_total if self.tf_total else 0.5

    @property
    def longest_share(self) -> float:
        return self.longest_right / self.choice_total if self.choice_total else 0.0

    @property
    def top_position_share(self) -> float:
        return max(self.positions.values()) / self.choice_total if self.choice_total else 0.0

    def line(self, name: str) -> str:
        spread = " ".join(f"{p}:{self.positions[p]}" for p in sorted(self.positions))
        return (f"{name}: {self.lessons} lessons, {len(self.strands)}/{len(STRANDS)} strands, "
                f"{self.statements} 'I can' statements, {self.questions} questions; "
                f"true/false {self.tf_true}/{self.tf_total} true ({self.true_share:.0%}); "
                f"right answer longest in {self.longest_right}/{self.choice_total} "
                f"({self.longest_share:.0%}); right-answer positions {spread or '-'}")


def right_is_longest(q: Question) -> bool:
    """True when the right option is strictly longer than every wrong one."""
    right = next(o for o in q.options if o.correct)
    return all(len(right.text) > len(o.text) for o in q.options if not o.correct)


def course_stats(catalogue: Catalogue) -> tuple[dict[str, Stats], dict[int, Stats]]:
    """Statistics per band and per year group (a lesson for Years 3 and 4 counts in both)."""
    bands: dict[str, Stats] = {}
    years: dict[int, Stats] = {y: Stats() for y in range(1, 7)}
    for lesson in catalogue.lessons.values():
        bands.setdefault(lesson.band, Stats()).add(lesson)
        for y in lesson.years:
            years[y].add(lesson)
    return bands, years


def _weak_leads_to_story(lesson: Lesson) -> bool:
    kinds = {s.id: s.type for s in lesson.steps}
    return any(not c.safe and c.next and kinds.get(c.next) == "story"
               for s in lesson.steps for c in s.choices)


def _story_run(lesson: Lesson, start: str) -> list[str]:
    """The steps a pupil passes from ``start`` up to and including the next scenario."""
    seen: list[str] = []
    step = lesson.step(start)
    while step is not None and step.id not in seen:
        seen.append(step.id)
        if step.type != "story":
            break
        step = lesson.step(step.next or following(lesson.steps, step))
    return seen


def branches(lesson: Lesson, scenario: Step) -> bool:
    """A scenario branches to different endings when at least two of its choices lead on to
    different steps, neither coming back to this scenario for another try."""
    onward = {t for t in targets(lesson.steps, scenario)
              if t == "quiz" or scenario.id not in _story_run(lesson, t)}
    return len(onward) >= 2


_WHAT_WOULD_YOU_DO = re.compile(r"\bwhat (?:would|should|could|can|will) (?:you|[A-Z]\w+) do\b|"
                                r"\bwhat do you do\b", re.I)


def has_reasoning_item(lesson: Lesson) -> bool:
    """The quiz has an "explain why" question, or a "what would you do?" choice."""
    return any(q.type == "explain" or q.type == "choice" and _WHAT_WOULD_YOU_DO.search(q.prompt)
               for q in lesson.quiz.questions)


def _share_problem(name: str, s: Stats, std: Standards) -> list[str]:
    low, high = std.true_share
    if s.tf_total and not low <= s.true_share <= high:
        return [f"{STANDARDS_FILE}:1: {name}: {s.tf_true} of {s.tf_total} true/false answers "
                f"are 'true' ({s.true_share:.0%}); keep it between {low:.0%} and {high:.0%}"]
    return []


def _group_problems(catalogue: Catalogue, std: Standards) -> list[str]:
    """Year groups and bands: enough lessons, true/false balance, answer patterns."""
    out = []
    bands, years = course_stats(catalogue)
    for y, s in years.items():
        if s.lessons < std.min_lessons_per_year:
            out.append(f"{STANDARDS_FILE}:1: Year {y}: {s.lessons} lessons; each year group "
                       f"needs at least {std.min_lessons_per_year}")
    for y, s in years.items():
        out += _share_problem(f"Year {y}", s, std)
    for band, s in sorted(bands.items()):
        out += _share_problem(band.upper(), s, std)
        if s.longest_share > std.max_longest_right:
            out.append(f"{STANDARDS_FILE}:1: {band.upper()}: the right answer is the longest "
                       f"option in {s.longest_right} of {s.choice_total} choice questions "
                       f"({s.longest_share:.0%}); at most {std.max_longest_right:.0%}")
        if s.top_position_share > std.max_same_position:
            out.append(f"{STANDARDS_FILE}:1: {band.upper()}: {s.top_position_share:.0%} of "
                       "right answers are written at the same position; at most "
                       f"{std.max_same_position:.0%}")
    return out


def _branching_problems(catalogue: Catalogue, std: Standards) -> list[str]:
    ks2 = [(x, s) for x in catalogue.lessons.values() if x.band == "ks2" for s in x.scenarios]
    n = sum(branches(x, s) for x, s in ks2)
    if ks2 and n / len(ks2) < std.min_ks2_branching:
        return [f"{STANDARDS_FILE}:1: KS2: {n} of {len(ks2)} scenarios branch to different "
                f"endings ({n / len(ks2):.0%}); at least {std.min_ks2_branching:.0%}"]
    return []


def _lesson_standards(out: _Out, lesson: Lesson, std: Standards) -> None:
    n = len(lesson.quiz.questions)
    if n < std.min_questions:
        out.lines.append(f"{lesson.quiz.path}:1: quiz: {n} questions; at least "
                         f"{std.min_questions}")
    if std.reasoning_item and not has_reasoning_item(lesson):
        out.lines.append(f"{lesson.quiz.path}:1: quiz: no 'explain why' question (type: "
                         "explain) and no 'what would you do?' choice")
    scenarios = len(lesson.scenarios)
    if lesson.band == "ks2" and scenarios < std.min_ks2_scenarios:
        out.at(lesson.path, "steps:", f"steps: {scenarios} scenario(s); a KS2 lesson needs at "
               f"least {std.min_ks2_scenarios}")
    if std.consequence_step and not _weak_leads_to_story(lesson):
        out.at(lesson.path, "steps:", "steps: no weak choice leads to a story step showing "
               "what happens next (give one weak choice `next: <story step id>`)")


def standards_problems(catalogue: Catalogue, root: Path | str,
                       standards: Standards | None = None) -> list[str]:
    """Problems with the course standards in lessons/standards.yaml (none when absent)."""
    root = Path(root)
    std = standards or load_standards(root)
    if not std.declared:
        return []
    out = _Out(root)
    out.lines += _group_problems(catalogue, std) + _branching_problems(catalogue, std)
    for lesson in catalogue.lessons.values():
        _lesson_standards(out, lesson, std)
    for slug in std.sensitive_lessons:
        sensitive = catalogue.lesson(slug)
        if sensitive is None:
            out.lines.append(f"{STANDARDS_FILE}:1: sensitive_lessons: '{slug}' is not a lesson")
            continue
        for p in safe_teaching_problems(teacher_notes_source(sensitive, root)):
            out.at(sensitive.path, "notes:", f"teacher_notes notes: {p}")
    return out.lines


def safe_teaching_problems(notes: str) -> list[str]:
    """What a sensitive lesson's notes lack: they must open with a "Safe teaching" section
    naming ground rules, a distancing technique, and what to do on a disclosure."""
    lines = [line for line in (notes or "").splitlines() if line.strip()]
    if not lines or SAFE_TEACHING_HEADING.lower() not in lines[0].lower():
        return [f"a sensitive lesson's notes must open with '**{SAFE_TEACHING_HEADING}**'"]
    section = []
    for line in lines[1:]:
        if line.startswith("**"):
            break
        section.append(line)
    text = " ".join(section)
    return [f"the safe-teaching section does not cover {name}"
            for name, rx in _SAFE_TEACHING_PARTS.items() if not rx.search(text)]


def all_problems(catalogue: Catalogue, root: Path | str) -> list[str]:
    """Every second-edition problem; none for a course without lessons/standards.yaml."""
    if not load_standards(root).declared:
        return []
    return safety_problems(catalogue, root) + standards_problems(catalogue, root) \
        + _framework_lines(catalogue, root)


def _framework_lines(catalogue: Catalogue, root: Path | str) -> list[str]:
    try:
        return framework_problems(catalogue, load_framework(root))
    except ContentError as exc:
        return [str(p) for p in exc.problems]


def report_lines(catalogue: Catalogue, root: Path | str | None = None) -> Iterable[str]:
    """The per-band and per-year lines check-content prints (with the framework statements
    taught in each year group when the course has lessons/connected-world.yaml)."""
    bands, years = course_stats(catalogue)
    for band in sorted(bands):
        yield bands[band].line(band.upper())
    try:
        statements = load_framework(root) if root is not None else ()
    except ContentError:
        statements = ()
    for y, s in years.items():
        taught = ""
        if statements:
            n, total = mapped_in_year(catalogue, statements, y)
            taught = f"; framework statements taught {n}/{total}"
        yield s.line(f"Year {y}") + taught
