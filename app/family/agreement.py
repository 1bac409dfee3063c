"""The family agreement builder: a family picks and writes its own rules for home.

Suggested rules per section, ticked or not, plus the family's own lines. Saved for the
signed-in family account only (no URL names it, so no one else's can be asked for).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..db import db, utcnow
from ..models import FamilyAgreement, User

MAX_OWN_LINES = 8
MAX_LINE = 150


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str
    suggestions: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section("when-where", "When and where we use devices",
            "Think about bedrooms, mealtimes, school nights and weekends.",
            ("We use phones, tablets and computers in the rooms we share, not behind a "
             "closed door.",
             "No screens at mealtimes, for grown-ups too.",
             "Screens go off an hour before bedtime.",
             "Devices charge overnight outside bedrooms.",
             "We ask before we use a device, and say what we are going to do on it.")),
    Section("games-apps", "Games, apps and videos",
            "Which games and apps are fine, and how you decide about new ones.",
            ("We check the age rating together before a new game, app or film.",
             "We ask before downloading or buying anything, even if it says free.",
             "In games we only chat with people we know in real life.",
             "We watch videos on the apps we agreed, with safe settings turned on.",
             "We stop a game at the end of a level when time is up.")),
    Section("kind-private", "Being kind and keeping things private",
            "What you share, and how you treat other people.",
            ("We are as kind online as we are face to face.",
             "We keep our full name, address, school and passwords private.",
             "We ask before we share a photo or video of anyone.",
             "We check whether something is true before we pass it on.")),
    Section("something-wrong", "If something goes wrong",
            "What to do if something upsets or worries anyone in the family.",
            ("If anything online worries or upsets us, we tell a grown-up straight away.",
             "Nobody gets into trouble for telling.",
             "We close it, we do not share it, and we tell.",
             "We never go to meet someone we only know online.",
             "If someone asks for a photo of us, or to keep a secret, we tell a grown-up.")),
    Section("grown-ups", "The grown-ups' promises",
            "Rules work best when the grown-ups keep some too.",
            ("We will listen and stay calm when you tell us something.",
             "We will put our own phones away at mealtimes.",
             "We will ask you before we post a photo of you.",
             "We will learn about the games and apps you like, and play them with you "
             "sometimes.",
             "We will not take your device away just because you told us about a problem.")),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


def agreement_of(parent: User) -> FamilyAgreement | None:
    return db.session.scalar(select(FamilyAgreement).where(
        FamilyAgreement.parent_id == parent.id))


def own_lines(text: str) -> list[str]:
    """The family's own rules: one a line, blank lines dropped, spaces tidied."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def line_problem(section: Section, lines: list[str]) -> str | None:
    """Why the family's own lines for a section will not do, naming the section."""
    if len(lines) > MAX_OWN_LINES:
        return f"{section.title}: write up to {MAX_OWN_LINES} rules of your own."
    long = next((i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE), None)
    if long is not None:
        return (f"{section.title}: rule {long} of your own is longer than {MAX_LINE} "
                "characters. Split it into two rules.")
    return None


def save(parent: User, family_name: str, rules: dict[str, list[str]]) -> FamilyAgreement:
    """Keep the family's rules (ticked suggestions first, then their own). Flushed."""
    row = agreement_of(parent)
    if row is None:
        row = FamilyAgreement(school_id=parent.school_id, parent_id=parent.id)
        db.session.add(row)
    row.family_name = " ".join(family_name.split())[:60]
    row.rules = {key: list(rules.get(key, [])) for key in SECTION_KEYS if rules.get(key)}
    row.updated_at = utcnow()
    db.session.flush()
    return row


def split_saved(row: FamilyAgreement | None) -> dict[str, tuple[list[str], list[str]]]:
    """Per section: the suggestions still ticked, and the family's own lines (for the form)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for section in SECTIONS:
        saved = (row.rules or {}).get(section.key, []) if row is not None else []
        ticked = [str(i) for i, text in enumerate(section.suggestions) if text in saved]
        own = [line for line in saved if line not in section.suggestions]
        out[section.key] = (ticked, own)
    return out


def printed(row: FamilyAgreement) -> list[tuple[Section, list[str]]]:
    """The sections with at least one rule, in order, for the page to print and sign."""
    rules = row.rules or {}
    return [(s, rules[s.key]) for s in SECTIONS if rules.get(s.key)]
