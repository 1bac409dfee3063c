"""The Education for a Connected World statements (lessons/connected-world.yaml), each mapped
to the lessons that teach it, and the checks on that map.

The statements are summarised in our own words; ids are ours, unique within a strand and age
band. A malformed file is a ``file:line`` ContentError; a map that leaves a statement without a
lesson, names a lesson that does not exist or puts a statement in the wrong key stage is a
``file:line`` problem from ``framework_problems`` (run by ``flask check-content``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import STRANDS, Catalogue
from .yamlfile import ContentError, FileChecker, LineDict, Problem, line_of, read_yaml

FRAMEWORK_FILE = "lessons/connected-world.yaml"
AGE_BANDS = {"age-4-7": "ks1", "age-7-11": "ks2"}  # the key stage whose lessons teach it


@dataclass(frozen=True)
class FrameworkStatement:
    strand: str
    age: str  # "age-4-7" or "age-7-11"
    id: str
    says: str
    lessons: tuple[str, ...]
    line: int

    @property
    def key(self) -> str:
        return f"{self.strand}/{self.age}/{self.id}"


def _statements(fc: FileChecker, strand: str, age: str, raw: object) -> list[FrameworkStatement]:
    out: list[FrameworkStatement] = []
    if not isinstance(raw, list):
        fc.add(raw, None, f"{strand} {age}", "should be a list of statements")
        return out
    seen: set[str] = set()
    for i, item in enumerate(raw):
        d = fc.mapping(item, f"{strand} {age} [{i + 1}]", raw, i)
        sid = fc.slug(d, "id", f"{strand} {age} [{i + 1}]")
        where = f"{strand} {age} {sid or i + 1}"
        fc.fields(d, where, {"id", "says", "lessons"}, set())
        if sid in seen:
            fc.add(d, "id", where, f"duplicate statement id '{sid}'")
        seen.add(sid)
        lessons = fc.seq(d, "lessons", where)
        slugs = tuple(s for s in lessons if isinstance(s, str))
        if "lessons" in d and not slugs:
            fc.add(d, "lessons", where, "maps to no lesson")
        out.append(FrameworkStatement(strand, age, sid, fc.text(d, "says", where), slugs,
                                      line_of(d)))
    return out


def _strand(fc: FileChecker, strand: object, ages: object) -> list[FrameworkStatement]:
    if strand not in STRANDS:
        fc.add(ages, None, "strands", f"unknown strand '{strand}'")
        return []
    if not isinstance(ages, LineDict):
        fc.add(ages, None, str(strand), "should be a mapping of age-4-7 and age-7-11")
        return []
    out = []
    for age in sorted(set(AGE_BANDS) - set(ages)):
        fc.add(ages, None, str(strand), f"missing '{age}'")
    for age, raw in ages.items():
        if age not in AGE_BANDS:
            fc.add(ages, age, str(strand), f"unknown age band '{age}'; use age-4-7 or age-7-11")
            continue
        out += _statements(fc, str(strand), str(age), raw)
    return out


def load_framework(root: Path | str) -> tuple[FrameworkStatement, ...]:
    """The statements under ``root``; none when the course has no framework file."""
    path = Path(root) / FRAMEWORK_FILE
    if not path.is_file():
        return ()
    problems: list[Problem] = []
    data = read_yaml(path, FRAMEWORK_FILE, problems)
    if data is None:
        raise ContentError(problems)
    fc = FileChecker(FRAMEWORK_FILE, problems)
    fc.fields(data, "", {"strands"}, set())
    strands = data.get("strands")
    statements: list[FrameworkStatement] = []
    if isinstance(strands, LineDict):
        for strand in sorted(set(STRANDS) - set(strands)):
            fc.add(strands, None, "strands", f"missing strand '{strand}'")
        for strand, ages in strands.items():
            statements += _strand(fc, strand, ages)
    elif "strands" in data:
        fc.add(data, "strands", "", "should be a mapping of strand: age bands")
    if not fc.ok:
        raise ContentError(problems)
    return tuple(statements)


def framework_problems(catalogue: Catalogue, statements: tuple[FrameworkStatement, ...]
                       ) -> list[str]:
    """Every statement maps to lessons that exist, in the key stage of its age band."""
    out = []
    for st in statements:
        band = AGE_BANDS[st.age]
        for slug in st.lessons:
            lesson = catalogue.lesson(slug)
            if lesson is None:
                out.append(f"{FRAMEWORK_FILE}:{st.line}: {st.key}: lesson '{slug}' does not "
                           "exist")
            elif lesson.band != band:
                out.append(f"{FRAMEWORK_FILE}:{st.line}: {st.key}: '{slug}' is a "
                           f"{lesson.band.upper()} lesson; {st.age} statements map to "
                           f"{band.upper()} lessons")
    return out


def mapped_in_year(catalogue: Catalogue, statements: tuple[FrameworkStatement, ...],
                   year: int) -> tuple[int, int]:
    """(statements taught by a lesson of this year group, statements of its age band)."""
    band = "ks1" if year <= 2 else "ks2"
    mine = [st for st in statements if AGE_BANDS[st.age] == band]
    taught = sum(any((x := catalogue.lesson(s)) is not None and year in x.years
                     for s in st.lessons) for st in mine)
    return taught, len(mine)


MAP_START = "<!-- connected-world map: generated by `python -m app.content.framework` -->"
MAP_END = "<!-- end of the connected-world map -->"


def map_markdown(catalogue: Catalogue, statements: tuple[FrameworkStatement, ...]) -> str:
    """The map for docs/curriculum.md: per strand and age band, each statement (in our
    words) and the lessons that teach it, with their years."""
    lines = [MAP_START]
    for strand, name in STRANDS.items():
        lines += ["", f"#### {name}", "", "| ages | statement (our words) | lessons |",
                  "|---|---|---|"]
        for st in (x for x in statements if x.strand == strand):
            taught = ", ".join(_lesson_label(catalogue, slug) for slug in st.lessons)
            lines.append(f"| {st.age[4:]} | {st.says} | {taught} |")
    return "\n".join([*lines, "", MAP_END])


def _lesson_label(catalogue: Catalogue, slug: str) -> str:
    lesson = catalogue.lesson(slug)
    if lesson is None:
        return slug
    years = "-".join(str(y) for y in (min(lesson.years), max(lesson.years))) \
        if len(lesson.years) > 1 else str(lesson.years[0])
    return f"{lesson.title} (Y{years})"


if __name__ == "__main__":  # pragma: no cover - prints the map for docs/curriculum.md
    from .loader import load_catalogue

    _root = Path(__file__).resolve().parents[2]
    print(map_markdown(load_catalogue(_root), load_framework(_root)))


__all__ = ["AGE_BANDS", "FRAMEWORK_FILE", "MAP_END", "MAP_START", "FrameworkStatement",
           "framework_problems", "load_framework", "map_markdown", "mapped_in_year"]
