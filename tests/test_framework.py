"""The Education for a Connected World map (lessons/connected-world.yaml): every age 4-7 and
7-11 statement maps to a lesson of the right key stage; a malformed map is reported with
file and line; check-content reports the statements taught per year group."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from app.cli import check_content_command
from app.content import ContentError, load_catalogue
from app.content.framework import (
    AGE_BANDS,
    FRAMEWORK_FILE,
    framework_problems,
    load_framework,
    mapped_in_year,
)
from app.content.model import STRANDS

from .conftest import FIXTURE_CONTENT, REPO


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(REPO)


@pytest.fixture(scope="module")
def statements():
    return load_framework(REPO)


def test_every_strand_and_age_band_has_its_statements(statements):
    found = {(s.strand, s.age) for s in statements}
    assert found == {(strand, age) for strand in STRANDS for age in AGE_BANDS}
    assert len(statements) >= 150
    assert all(s.says and s.lessons for s in statements)
    assert len({s.key for s in statements}) == len(statements)


def test_every_statement_maps_to_a_lesson_of_its_key_stage(catalogue, statements):
    assert framework_problems(catalogue, statements) == []
    for s in statements:
        bands = {catalogue.lesson(slug).band for slug in s.lessons}
        assert bands == {AGE_BANDS[s.age]}, s.key


def test_each_phase_teaches_every_statement_of_its_age_band(catalogue, statements):
    for years in ((1, 2), (3, 4, 5, 6)):
        band = "ks1" if years == (1, 2) else "ks2"
        for s in (x for x in statements if AGE_BANDS[x.age] == band):
            assert any(set(catalogue.lesson(slug).years) & set(years) for slug in s.lessons), \
                s.key
    for y in range(1, 7):
        taught, total = mapped_in_year(catalogue, statements, y)
        assert 0 < taught <= total


def _course(tmp_path):
    root = tmp_path / "course"
    for part in ("lessons", "quizzes"):
        shutil.copytree(REPO / part, root / part)
    shutil.copytree(REPO / "static" / "img" / "lessons", root / "static" / "img" / "lessons")
    return root


@pytest.mark.parametrize("old, new, expected", [
    ("      - id: say-no\n", "      - id: Say No\n", ":8: self-image-and-identity age-4-7 [1]: "
     "'id' 'Say No' should use only a-z"),
    ("    age-7-11:\n", "    age-7-12:\n", "unknown age band 'age-7-12'"),
    ("  copyright-and-ownership:\n", "  cooking:\n", "unknown strand 'cooking'"),
    ("        lessons: [ask-first, brave-and-kind, tell-a-grown-up]\n", "        lessons: []\n",
     ":10: self-image-and-identity age-4-7 say-no: maps to no lesson"),
    ("      - id: online-or-offline\n", "      - id: say-no\n", "duplicate statement id 'say-no'"),
    ("        says: \"knows someone can ask", "        said: \"knows someone can ask",
     "unknown field 'said'"),
])
def test_a_malformed_map_is_reported_with_file_and_line(tmp_path, old, new, expected):
    root = _course(tmp_path)
    path = root / FRAMEWORK_FILE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentError) as info:
        load_framework(root)
    lines = [str(p) for p in info.value.problems]
    assert any(line.startswith(FRAMEWORK_FILE) and expected in line for line in lines), lines
    result = CliRunner().invoke(check_content_command, ["--content-dir", str(root)])
    assert result.exit_code == 1 and expected in result.output


def test_check_content_fails_a_map_to_a_missing_or_wrong_stage_lesson(tmp_path):
    root = _course(tmp_path)
    path = root / FRAMEWORK_FILE
    path.write_text(path.read_text()
                    .replace("lessons: [ask-first, brave-and-kind, tell-a-grown-up]",
                             "lessons: [ask-first, block-and-tell]", 1)
                    .replace("lessons: [ask-first, people-we-know]",
                             "lessons: [ask-first, no-such-lesson]", 1))
    result = CliRunner().invoke(check_content_command, ["--content-dir", str(root)])
    assert result.exit_code == 1
    assert (f"{FRAMEWORK_FILE}:8: self-image-and-identity/age-4-7/say-no: 'block-and-tell' is a "
            "KS2 lesson; age-4-7 statements map to KS1 lessons") in result.output
    assert "self-image-and-identity/age-4-7/online-or-offline: lesson 'no-such-lesson' does " \
        "not exist" in result.output


def test_check_content_reports_the_statements_taught_each_year():
    result = CliRunner().invoke(check_content_command, ["--content-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    year1 = next(x for x in result.output.splitlines() if x.startswith("Year 1:"))
    assert "framework statements taught " in year1 and "/48" in year1


def test_a_course_without_the_map_has_no_statements():
    assert load_framework(FIXTURE_CONTENT) == ()


def test_docs_curriculum_shows_the_map_as_generated(catalogue, statements):
    from app.content.framework import MAP_END, MAP_START, map_markdown

    doc = (REPO / "docs" / "curriculum.md").read_text()
    assert MAP_START in doc and MAP_END in doc
    shown = doc[doc.index(MAP_START):doc.index(MAP_END) + len(MAP_END)]
    assert shown == map_markdown(catalogue, statements), (
        "docs/curriculum.md's map is out of date: run `.venv/bin/python -m "
        "app.content.framework` and paste the output between the markers")
