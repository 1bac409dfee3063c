"""Load lessons/ and quizzes/ YAML, validate every rule, and build frozen objects.

Every problem is reported as ``file:line: where: what`` so a writer can find it at once.
Nothing half-loads: if any problem is found, no catalogue is built.

The work is split by what it checks: ``yamlfile`` reads YAML with line numbers,
``quizfile`` checks one quiz (a function per question type), ``lessonfile`` checks one lesson
(a function per part and step type), and this module ties lessons to their quizzes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .lessonfile import CheckedLesson, check_lesson, following, reachable, targets
from .model import BANDS, Catalogue, Lesson
from .quizfile import CheckedQuiz, check_quiz
from .yamlfile import SLUG_RE, ContentError, FileChecker, Problem, read_yaml


@dataclass
class Files:
    """Every checked file of a course, before lessons and quizzes are joined."""

    quizzes: dict[str, CheckedQuiz] = field(default_factory=dict)
    lessons: list[CheckedLesson] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)  # quizzes named by any lesson file
    quiz_files: dict[str, set[str]] = field(default_factory=dict)  # band -> file stems


def _read_quizzes(root: Path, band: str, files: Files, problems: list[Problem]) -> None:
    files.quiz_files[band] = set()
    for path in sorted((root / "quizzes" / band).glob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        files.quiz_files[band].add(path.stem)
        data = read_yaml(path, rel, problems)
        checked = check_quiz(data, rel, path.stem, band, problems) if data is not None else None
        if checked is None:
            continue
        key = checked.quiz.slug
        if key in files.quizzes:
            problems.append(Problem(rel, 1, "", f"duplicate quiz slug '{key}' (also in "
                                    f"{files.quizzes[key].rel})"))
        files.quizzes[key] = checked


def _read_lessons(root: Path, band: str, image_dir: Path, files: Files,
                  problems: list[Problem]) -> None:
    for path in sorted((root / "lessons" / band).glob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        data = read_yaml(path, rel, problems)
        if data is None:
            continue
        if isinstance(data.get("quiz"), str):
            files.referenced.add(data["quiz"])
        checked = check_lesson(data, rel, path.stem, band, image_dir, problems)
        if checked is not None:
            files.lessons.append(checked)


def _quiz_for(info: CheckedLesson, files: Files, used: dict[str, str],
              problems: list[Problem]) -> CheckedQuiz | None:
    """The lesson's quiz, checked to be in its band and used by this lesson only."""
    band, rel = info.fields["band"], info.rel
    raw = files.quizzes.get(info.quiz)
    if raw is None:
        if info.quiz not in files.quiz_files.get(band, set()):
            problems.append(Problem(rel, info.quiz_line, "", f"quiz '{info.quiz}' not found in "
                                    f"quizzes/{band}/"))
        return None  # else the quiz file has its own problems, reported there
    if raw.quiz.band != band:
        problems.append(Problem(rel, info.quiz_line, "", f"quiz '{info.quiz}' is for "
                                f"{raw.quiz.band}, not {band}"))
    if info.quiz in used:
        problems.append(Problem(rel, info.quiz_line, "", f"quiz '{info.quiz}' is already used "
                                f"by {used[info.quiz]}"))
    used[info.quiz] = rel
    return raw


def _quiz_names(info: CheckedLesson, raw: CheckedQuiz, problems: list[Problem]) -> None:
    """The quiz names only this lesson's statements and misconceptions, and every declared
    misconception is used by a wrong answer or a weak choice (no tag nobody can hold)."""
    for ref in raw.statement_refs:
        if ref.value not in info.statement_ids:
            problems.append(Problem(raw.rel, ref.line, ref.where, f"'i_can' names "
                                    f"'{ref.value}', which is not an 'I can' statement of "
                                    f"{info.rel}"))
    for ref in raw.tags:
        if ref.value not in info.misconceptions:
            problems.append(Problem(raw.rel, ref.line, ref.where, f"misconception "
                                    f"'{ref.value}' is not declared in {info.rel}"))
    used = info.tags_used | {ref.value for ref in raw.tags}
    for tag, line in info.misconception_lines.items():
        if tag not in used:
            problems.append(Problem(info.rel, line, "misconceptions", f"misconception '{tag}' "
                                    "is declared but no wrong answer or weak choice uses it; "
                                    "use it or remove it"))


def _build(files: Files, problems: list[Problem]) -> dict[str, Lesson]:
    built: dict[str, Lesson] = {}
    used: dict[str, str] = {}
    orders: dict[tuple[str, int], str] = {}
    for info in files.lessons:
        f, rel = info.fields, info.rel
        if f["slug"] in built:
            problems.append(Problem(rel, 1, "", f"duplicate slug '{f['slug']}' (also in "
                                    f"{built[f['slug']].path})"))
            continue
        key = (f["band"], f["order"])
        if key in orders:
            problems.append(Problem(rel, info.order_line, "", f"order {f['order']} is also "
                                    f"used by {orders[key]}"))
        orders[key] = rel
        raw = _quiz_for(info, files, used, problems)
        if raw is None:
            continue
        _quiz_names(info, raw, problems)
        positions = tuple([f"step:{s.id}" for s in f["steps"]]
                          + [f"quiz:{q.id}" for q in raw.quiz.questions] + ["done"])
        built[f["slug"]] = Lesson(quiz=raw.quiz, positions=positions, **f)
    for slug, raw in files.quizzes.items():
        if slug not in used and slug not in files.referenced:
            problems.append(Problem(raw.rel, raw.line, "", f"quiz '{slug}' is not used by any "
                                    "lesson"))
    return built


def load_catalogue(root: Path | str, image_dir: Path | str | None = None) -> Catalogue:
    """Load and validate all content under ``root``; raise ContentError listing every problem."""
    root = Path(root)
    images = Path(image_dir) if image_dir else root / "static" / "img" / "lessons"
    problems: list[Problem] = []
    files = Files()
    for band in BANDS:
        _read_quizzes(root, band, files, problems)
        _read_lessons(root, band, images, files, problems)
    built = _build(files, problems)
    if problems:
        raise ContentError(problems)
    by_band = {
        band: tuple(sorted((x for x in built.values() if x.band == band), key=lambda x: x.order))
        for band in BANDS
    }
    return Catalogue(lessons=dict(sorted(built.items())), by_band=by_band)


__all__ = ["SLUG_RE", "ContentError", "FileChecker", "Problem", "following", "load_catalogue",
           "reachable", "read_yaml", "targets"]
