"""Import pupils from the CSV a school's management system exports (SIMS, Arbor, Bromcom...).

Three steps, each a plain function: ``read_csv`` turns bytes into rows or says exactly what
is wrong (row and field); ``make_plan`` compares the rows with the school (who is new, who is
already here, who moves, which classes will be created); ``apply_plan`` writes the plan in the
caller's transaction, all rows or none. The same file twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from ..db import db
from ..models import Pupil, School, SchoolClass, User
from . import audit
from .classes import create_class
from .pupils import NewPupil, add_pupil, name_key, name_problem, tidy

MAX_BYTES = 1_000_000
TOO_LARGE = (f"The file is larger than {MAX_BYTES // 1_000_000} MB. A class list is much "
             "smaller: check you chose the CSV export of your pupils, and that it is a CSV file.")
MAX_ROWS = 5_000
# Header names as schools' systems write them, compared without case, spaces or punctuation.
HEADERS = {
    "first_name": ("forename", "firstname", "legalforename", "preferredforename",
                   "givenname", "first", "christianname", "pupilforename", "chosenforename"),
    "surname": ("surname", "lastname", "legalsurname", "preferredsurname", "familyname",
                "last", "pupilsurname", "chosensurname"),
    "year": ("year", "ncyear", "yeargroup", "nationalcurriculumyear", "yr", "ncyeargroup",
             "curriculumyear", "yeargrp"),
    "class": ("reggroup", "registrationgroup", "class", "form", "classname", "regroup",
              "formgroup", "tutorgroup", "reg", "classgroup", "group"),
}
FIELD_NAMES = {"first_name": "Forename", "surname": "Surname", "year": "Year",
               "class": "Reg group"}
YEAR_RE = re.compile(r"^(?:(?:nc|national curriculum)\s*)?(?:year|yr|y)?\s*(\d{1,2})$")


@dataclass(frozen=True)
class Problem:
    message: str
    row: int | None = None  # as a spreadsheet numbers it: the header is row 1
    field: str | None = None

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"Row {self.row}" if self.row else "",
                                      FIELD_NAMES.get(self.field or "", "")) if x)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Row:
    number: int
    first_name: str
    surname: str
    year_group: int
    class_name: str


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _normal(header: str) -> str:
    return re.sub(r"[^a-z]", "", header.lower())


def decode(data: bytes) -> str:
    """The file's text, or a Problem saying what kind of file it is instead."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"The file is {len(data) / 1_000_000:.1f} MB. A class list is much "
                         f"smaller: the largest we accept is {MAX_BYTES // 1_000_000} MB. "
                         "Check you chose the CSV export of your pupils.")
    if not data.strip():
        raise ValueError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ValueError("This looks like an Excel workbook (.xlsx), not a CSV file. In Excel, "
                         "choose File, Save As, then \u201cCSV UTF-8 (Comma delimited)\u201d, "
                         "and upload that file.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError("This looks like an old Excel workbook (.xls), not a CSV file. Save "
                         "it as \u201cCSV UTF-8 (Comma delimited)\u201d and upload that.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 10:
        raise ValueError("The file is saved as UTF-16 (\u201cUnicode text\u201d). Save it as "
                         "\u201cCSV UTF-8 (Comma delimited)\u201d and upload it again.")
    if b"\x00" in data:
        raise ValueError("This is not a text file. Upload the CSV export of your pupils.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ValueError(f"Row {line} has a character that is not UTF-8 (byte "
                         f"0x{data[exc.start]:02X}, perhaps an accent such as \u00e9). The "
                         "file was probably saved as \u201cCSV (Comma delimited)\u201d in an "
                         "older encoding: save it as \u201cCSV UTF-8 (Comma delimited)\u201d "
                         "and upload it again.") from None


def _columns(header: list[str]) -> tuple[dict[str, int], list[str], list[Problem]]:
    found: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(header):
        normal = _normal(name)
        key = next((k for k, names in HEADERS.items() if normal in names), None)
        if key is None or key in found:
            if name.strip():
                ignored.append(name.strip())
            continue
        found[key] = index
    problems = [Problem(f"The file has no {FIELD_NAMES[k]} column (we look for headers such "
                        f"as {', '.join(_examples(k))}).", 1)
                for k in ("first_name", "surname", "year") if k not in found]
    return found, ignored, problems


def _examples(key: str) -> list[str]:
    return {"first_name": ["Forename", "First name", "Legal forename"],
            "surname": ["Surname", "Last name", "Legal surname"],
            "year": ["Year", "NC Year", "Year group"],
            "class": ["Reg group", "Class", "Form"]}[key]


def parse_year(value: str) -> int | str:
    """A year group 1-6 from "5", "Year 5", "Y5", "NC Year 5"; otherwise what is wrong."""
    text = " ".join(value.lower().split())
    if not text:
        return "is empty."
    if text in ("r", "rec", "reception", "n", "nursery", "0"):
        return f"\u201c{value}\u201d: Reception and Nursery are not part of this course " \
               "(Years 1 to 6)."
    match = YEAR_RE.match(text)
    if not match:
        return f"\u201c{value}\u201d is not a year group we know (use 1 to 6, or Year 1 to " \
               "Year 6)."
    year = int(match.group(1))
    if not 1 <= year <= 6:
        return f"Year {year} is not a primary year group (1 to 6)."
    return year


def read_csv(data: bytes, class_required: bool = True) -> Parsed:
    """Rows from a CSV export, or every problem with its row and field."""
    out = Parsed()
    try:
        text = decode(data)
    except ValueError as exc:
        out.problems.append(Problem(str(exc)))
        return out
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    if not records:
        out.problems.append(Problem("The file is empty."))
        return out
    columns, out.ignored_columns, problems = _columns(records[0])
    if class_required and "class" not in columns:
        problems.append(Problem("The file has no Reg group column (we look for headers such "
                                "as Reg group, Class or Form). Add one, or choose a class for "
                                "everyone above.", 1))
    if problems:
        out.problems.extend(problems)
        return out
    if len(records) - 1 > MAX_ROWS:
        out.problems.append(Problem(f"The file has {len(records) - 1} rows; we take up to "
                                    f"{MAX_ROWS} at once."))
        return out
    _read_rows(records, columns, out)
    if not out.rows and not out.problems:
        out.problems.append(Problem("The file has a header row but no pupils."))
    return out


def _read_rows(records: list[list[str]], columns: dict[str, int], out: Parsed) -> None:
    """The pupils below the header, each once (a repeated pupil is a problem on its row)."""
    seen: dict[tuple[str, str, int], int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        row = _row(number, record, columns, out.problems)
        if row is None:
            continue
        key = (row.first_name.casefold(), row.surname.casefold(), row.year_group)
        if key in seen:
            out.problems.append(Problem(f"{row.first_name} {row.surname} (Year "
                                        f"{row.year_group}) is already on row {seen[key]}.",
                                        number, "first_name"))
            continue
        seen[key] = number
        out.rows.append(row)


def _row(number: int, record: list[str], columns: dict[str, int],
         problems: list[Problem]) -> Row | None:
    def cell(key: str) -> str:
        index = columns.get(key)
        return tidy(record[index]) if index is not None and index < len(record) else ""

    first, surname, class_name = cell("first_name"), cell("surname"), cell("class")
    found = []
    for key, value, label in (("first_name", first, "Forename"),
                              ("surname", surname, "Surname")):
        problem = name_problem(value, label)
        if problem:
            found.append(Problem(problem.removeprefix(f"{label} "), number, key))
    year = parse_year(cell("year"))
    if isinstance(year, str):
        found.append(Problem(year, number, "year"))
    if "class" in columns and not class_name:
        found.append(Problem("is empty.", number, "class"))
    elif len(class_name) > 60:
        found.append(Problem("is longer than 60 characters.", number, "class"))
    if found:
        problems.extend(found)
        return None
    assert isinstance(year, int)
    return Row(number, first, surname, year, class_name)


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class Plan:
    add: list[tuple[Row, str]] = field(default_factory=list)  # row, class name
    present: list[tuple[Row, Pupil]] = field(default_factory=list)
    moves: list[tuple[Row, Pupil, str]] = field(default_factory=list)  # to class name
    new_classes: dict[str, int] = field(default_factory=dict)  # name -> year group
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.add) + len(self.moves) + len(self.new_classes)

    def digest(self) -> str:
        """What the preview showed: confirming a different plan is refused."""
        parts = [f"a{r.number}:{c}" for r, c in self.add]
        parts += [f"m{r.number}:{p.id}:{c}" for r, p, c in self.moves]
        parts += [f"c{n}:{y}" for n, y in sorted(self.new_classes.items())]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def make_plan(school: School, parsed: Parsed, only_class: SchoolClass | None) -> Plan:
    """Compare the rows with the school. ``only_class``: every row goes into that class."""
    plan = Plan(problems=list(parsed.problems), ignored_columns=parsed.ignored_columns)
    if plan.problems:
        return plan
    classes = {c.name.casefold(): c for c in db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id))}
    pupils = list(db.session.scalars(select(Pupil).where(
        Pupil.school_id == school.id, Pupil.status == "active")))
    by_key = {p.name_key: p for p in pupils if p.name_key}
    legacy = {(p.first_name.casefold(), p.surname_initial[:1].casefold(), p.year_group): p
              for p in pupils if not p.name_key}
    class_names = {c.id: c.name for c in classes.values()}
    new_years: dict[str, Counter[int]] = {}
    for row in parsed.rows:
        target = _target_class(row, only_class, classes, plan.problems)
        if target is None:
            continue
        pupil = by_key.get(name_key(school.id, row.first_name, row.surname)) or legacy.get(
            (row.first_name.casefold(), row.surname[:1].casefold(), row.year_group))
        if pupil is None:
            plan.add.append((row, target))
            if target.casefold() not in classes:
                new_years.setdefault(target, Counter())[row.year_group] += 1
        elif class_names.get(pupil.class_id) != target or pupil.year_group != row.year_group:
            plan.moves.append((row, pupil, target))
            if target.casefold() not in classes:
                new_years.setdefault(target, Counter())[row.year_group] += 1
        else:
            plan.present.append((row, pupil))
    plan.new_classes = {name: years.most_common(1)[0][0] for name, years in new_years.items()}
    return plan


def _target_class(row: Row, only_class: SchoolClass | None, classes: dict[str, SchoolClass],
                  problems: list[Problem]) -> str | None:
    if only_class is not None:
        if row.class_name and row.class_name.casefold() != only_class.name.casefold():
            problems.append(Problem(f"\u201c{row.class_name}\u201d is not {only_class.name}. "
                                    "You can import into your own class only.", row.number,
                                    "class"))
            return None
        return only_class.name
    existing = classes.get(row.class_name.casefold())
    if existing is not None and existing.archived_at is not None:
        problems.append(Problem(f"\u201c{existing.name}\u201d is an archived class. Use this "
                                "year's class name.", row.number, "class"))
        return None
    return existing.name if existing is not None else row.class_name


@dataclass
class Result:
    added: list[Pupil] = field(default_factory=list)
    moved: list[Pupil] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)  # every class touched


def apply_plan(school: School, actor: User, plan: Plan, filename: str) -> Result:
    """Write the whole plan in the caller's transaction (the view commits once)."""
    if plan.problems:
        raise ValueError("a plan with problems cannot be applied")
    classes = {c.name.casefold(): c for c in db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id))}
    result = Result()
    for name, year in sorted(plan.new_classes.items()):
        classes[name.casefold()] = create_class(school, actor, name, year, [])
    usernames: set[str] = set()
    names: list[tuple[str, str]] = []
    for row, class_name in plan.add:
        target = classes[class_name.casefold()]
        pupil = add_pupil(school, actor, target, NewPupil(row.first_name, row.surname,
                                                          row.year_group), usernames, names)
        names.append((pupil.first_name, pupil.surname_initial))
        result.added.append(pupil)
    from .pupils import update_pupil

    for row, pupil, class_name in plan.moves:
        update_pupil(pupil, actor, row.first_name, row.surname, row.year_group,
                     classes[class_name.casefold()])
        result.moved.append(pupil)
    for _row, pupil in plan.present:
        if not pupil.name_key:  # recognised by name and initial: remember the full name now
            pupil.name_key = name_key(school.id, _row.first_name, _row.surname)
    touched = {p.class_id for p in result.added + result.moved}
    result.classes = sorted((c for c in classes.values() if c.id in touched),
                            key=lambda c: (c.year_group, c.name))
    audit.record(school.id, actor, "import.apply", "import", None,
                 f"Imported {filename}: {len(result.added)} added, {len(result.moved)} moved, "
                 f"{len(plan.new_classes)} classes created, {len(plan.present)} unchanged",
                 after={"added": len(result.added), "moved": len(result.moved),
                        "classes_created": sorted(plan.new_classes),
                        "unchanged": len(plan.present)})
    return result
