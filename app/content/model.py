"""Frozen content objects built once at start-up from lessons/ and quizzes/."""

from __future__ import annotations

from dataclasses import dataclass, field

BANDS = ("ks1", "ks2")
BAND_YEARS = {"ks1": (1, 2), "ks2": (3, 4, 5, 6)}
BAND_NAMES = {"ks1": "Key Stage 1", "ks2": "Key Stage 2"}
STRANDS = {
    "self-image-and-identity": "Self-image and identity",
    "online-relationships": "Online relationships",
    "online-reputation": "Online reputation",
    "online-bullying": "Online bullying",
    "managing-online-information": "Managing online information",
    "health-wellbeing-and-lifestyle": "Health, wellbeing and lifestyle",
    "privacy-and-security": "Privacy and security",
    "copyright-and-ownership": "Copyright and ownership",
}
FOUR_CS = {
    "content": "Content",
    "contact": "Contact",
    "conduct": "Conduct",
    "commerce": "Commerce (commercialism)",
}
QUESTION_TYPES = ("choice", "true_false", "order", "sort", "explain")
CHOICE_TYPES = ("choice", "explain")  # one right option (an explain question's "reasons")


def band_for_year(year_group: int) -> str:
    return "ks1" if year_group <= 2 else "ks2"


@dataclass(frozen=True)
class Statement:
    id: str
    text: str


@dataclass(frozen=True)
class Choice:
    key: str  # "a", "b", ... by position
    text: str
    safe: bool
    feedback: str
    misconception: str | None
    next: str | None  # step id, "quiz", or None (safe: following step; unsafe: try again)


@dataclass(frozen=True)
class Step:
    id: str
    index: int
    type: str  # "story" | "scenario"
    title: str
    body: str  # the Markdown source, kept for reading-level checks and read-aloud
    body_html: str
    picture: str | None
    alt: str | None
    choices: tuple[Choice, ...] = ()
    next: str | None = None
    i_can: tuple[str, ...] = ()  # statement ids a scenario assesses; empty: all the lesson's

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    feedback: str
    misconception: str | None


@dataclass(frozen=True)
class Group:
    id: str
    label: str


@dataclass(frozen=True)
class SortItem:
    key: str
    text: str
    group: str
    feedback: str
    misconception: str | None


@dataclass(frozen=True)
class Question:
    id: str
    index: int
    type: str
    prompt: str
    options: tuple[Option, ...] = ()  # choice; an explain question's reasons
    answer: bool | None = None  # true_false
    feedback_true: str = ""
    feedback_false: str = ""
    items: tuple[str, ...] = ()  # order, in the right order
    groups: tuple[Group, ...] = ()  # sort
    sort_items: tuple[SortItem, ...] = ()  # sort
    feedback_right: str = ""
    feedback_wrong: str = ""
    misconception: str | None = None  # true_false, order
    i_can: tuple[str, ...] = ()  # statement ids this question assesses; empty: all the lesson's


@dataclass(frozen=True)
class Quiz:
    slug: str
    band: str
    title: str
    questions: tuple[Question, ...]
    path: str

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


@dataclass(frozen=True)
class TeacherNotes:
    goal: str
    discussion: str
    notes_html: str
    reteach: str = ""  # an idea to teach the lesson again
    reteach_for: tuple[tuple[str, str], ...] = ()  # (misconception tag, idea)

    def reteach_idea(self, tag: str | None) -> str:
        """The idea for one misconception, else the lesson's, else its discussion question."""
        return dict(self.reteach_for).get(tag or "", "") or self.reteach or (
            f"Talk it through again: {self.discussion}" if self.discussion else "")


@dataclass(frozen=True)
class Lesson:
    slug: str
    band: str
    years: tuple[int, ...]
    order: int
    title: str
    summary: str
    strands: tuple[str, ...]
    four_cs: tuple[str, ...]
    picture: str
    picture_alt: str
    i_can: tuple[Statement, ...]
    misconceptions: tuple[tuple[str, str], ...]
    help_route: bool
    family_tip: str
    teacher_notes: TeacherNotes
    quiz: Quiz
    steps: tuple[Step, ...]
    path: str
    finish: str = ""  # the pupil's own words on the finish page (never the family tip)
    positions: tuple[str, ...] = field(default=())  # "step:<id>", "quiz:<id>", then "done"

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def total_positions(self) -> int:
        """How many places a pupil passes through before the lesson is complete."""
        return len(self.positions) - 1

    def position_index(self, position: str) -> int:
        try:
            return self.positions.index(position)
        except ValueError:
            return 0

    def misconception_text(self, tag: str | None) -> str:
        return dict(self.misconceptions).get(tag or "", "")

    def statements_of(self, item: Question | Step) -> tuple[str, ...]:
        """The "I can" statements a question or scenario assesses (all, unless it names some)."""
        return item.i_can or tuple(s.id for s in self.i_can)

    @property
    def scenarios(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.type == "scenario")

    def visible_to_year(self, year_group: int) -> bool:
        """By default a pupil sees lessons for their year and earlier years of their stage."""
        return not self.years or min(self.years) <= year_group


@dataclass(frozen=True)
class Catalogue:
    lessons: dict[str, Lesson]
    by_band: dict[str, tuple[Lesson, ...]]

    def lesson(self, slug: str) -> Lesson | None:
        return self.lessons.get(slug)

    def __len__(self) -> int:
        return len(self.lessons)
