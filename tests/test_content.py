"""The content loader: a good set loads; each kind of mistake is reported with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import create_app
from app.cli import check_content_command
from app.content import ContentError, load_catalogue
from app.content.render import markdown_to_html

from .conftest import FIXTURE_CONTENT, REPO

KS1_LESSON = "lessons/ks1/fixture-tell.yaml"
KS1_QUIZ = "quizzes/ks1/fixture-tell.yaml"
KS2_LESSON = "lessons/ks2/fixture-passwords.yaml"
KS2_QUIZ = "quizzes/ks2/fixture-passwords.yaml"


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def problems_for(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_catalogue(root)
    return [str(p) for p in info.value.problems]


def test_good_content_loads_into_frozen_objects():
    cat = load_catalogue(FIXTURE_CONTENT)
    assert len(cat) == 2
    lesson = cat.lesson("fixture-tell")
    assert lesson.band == "ks1" and lesson.quiz.slug == "fixture-tell"
    assert [q.type for q in lesson.quiz.questions] == ["choice", "true_false", "order", "sort"]
    assert lesson.positions[0] == "step:meet" and lesson.positions[-1] == "done"
    assert lesson.total_positions == 4 + 4
    assert "<strong>trains</strong>" in lesson.steps[0].body_html
    assert lesson.teacher_notes.notes_html == "<p>Run it as a <em>story</em> circle.</p>"
    with pytest.raises(AttributeError):
        lesson.title = "changed"  # frozen


def test_markdown_is_cleaned():
    html = markdown_to_html("Hi <script>alert(1)</script> [x](http://evil.example) ![i](a.png)")
    assert "<script" not in html and "<a" not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never run
    assert "evil.example" not in html and "a.png" not in html


BAD_CASES = [
    # (file, old text, new text, expected problem as "file:line: ... message")
    ("bad-yaml", KS1_LESSON, "title: Tell a grown-up", "title: [unclosed",
     f"{KS1_LESSON}:6: bad YAML"),
    ("unknown-strand", KS1_LESSON, "strands: [health-wellbeing-and-lifestyle]",
     "strands: [health-wellbeing-and-lifestyle, cooking]",
     f"{KS1_LESSON}:7: strands: unknown strand 'cooking'"),
    ("choice-to-missing-step", KS1_LESSON, "next: secret-help", "next: nowhere",
     "step 2 (choose) choice 3: 'next' points to missing step 'nowhere'"),
    ("quiz-no-correct", KS1_QUIZ, "        correct: true\n", "",
     f"{KS1_QUIZ}:9: question 1 (scary): has no correct answer"),
    ("quiz-two-correct", KS1_QUIZ, "        feedback: You can stop.\n",
     "        feedback: You can stop.\n        correct: true\n",
     "question 1 (scary): has 2 correct answers"),
    ("tf-no-answer", KS1_QUIZ, "    answer: false\n", "    answer: maybe\n",
     "question 2 (secret): 'answer' should be true or false"),
    ("unknown-field", KS1_LESSON, "order: 1\n", "order: 1\ncolour: blue\n",
     f"{KS1_LESSON}:5: unknown field 'colour'"),
    ("missing-field", KS1_LESSON, "summary: What to do when something online worries you.\n",
     "", f"{KS1_LESSON}:1: missing field 'summary'"),
    ("orphan-step", KS2_LESSON, "    title: Passwords\n",
     "    title: Passwords\n    next: friend\n",
     f"{KS2_LESSON}:31: step 2 (words): orphan step: no path from the first step reaches it"),
    ("undeclared-misconception", KS1_QUIZ, "misconception: reply-first",
     "misconception: reply-later",
     f"{KS1_QUIZ}:31: question 3 (steps): misconception 'reply-later' is not declared in "
     f"{KS1_LESSON}"),
    ("wrong-option-untagged", KS1_QUIZ,
     "        feedback: You can stop.\n        misconception: keep-watching\n",
     "        feedback: You can stop.\n",
     "question 1 (scary) option 2: a wrong option needs a 'misconception' tag"),
    ("missing-quiz", KS1_LESSON, "quiz: fixture-tell", "quiz: no-such-quiz",
     "quiz 'no-such-quiz' not found in quizzes/ks1/"),
    ("band-mismatch", KS2_LESSON, "band: ks2", "band: ks1",
     "band 'ks1' does not match its folder 'ks2'"),
    ("year-outside-band", KS2_LESSON, "years: [3, 4]", "years: [2, 3]",
     "years: year 2 is not in band ks2"),
    ("missing-picture", KS1_LESSON, "picture: pic.svg", "picture: nope.svg",
     "picture 'nope.svg' not found in static/img/lessons/"),
    ("no-safe-choice", KS2_LESSON, "        safe: true\n", "        safe: false\n"
     "        misconception: share-with-friend\n", "no choice is marked 'safe: true'"),
    ("too-few-choices", KS2_LESSON,
     "      - text: Write it on their hand.\n        safe: false\n"
     "        feedback: Then others can see it.\n        misconception: share-with-friend\n",
     "", "'choices' has 2 entries; it needs 3 to 6"),
    ("sort-unknown-group", KS1_QUIZ, "        group: ask\n", "        group: later\n",
     "group 'later' is not one of this question's groups"),
    ("order-duplicate-items", KS1_QUIZ, "      - Block them.\n", "      - Do not reply.\n",
     "two items have the same text"),
    ("duplicate-step-id", KS2_LESSON, "  - id: end\n", "  - id: intro\n",
     "duplicate step id 'intro'"),
    ("bad-slug", KS1_LESSON, "slug: fixture-tell", "slug: Fixture Tell",
     "'slug' 'Fixture Tell' should use only a-z, 0-9 and hyphens"),
    ("too-few-questions", KS2_QUIZ, "  - id: tf2\n    type: true_false\n"
     "    prompt: A long password is harder to guess.\n    answer: true\n"
     "    feedback_true: Yes.\n    feedback_false: Longer is stronger.\n"
     "    misconception: name-is-fine\n", "", "'questions' has 3 entries; it needs 4 to 8"),
    ("unknown-question-type", KS2_QUIZ, "type: order", "type: essay",
     "unknown question type 'essay'"),
    ("duplicate-key", KS1_LESSON, "order: 1\n", "order: 1\norder: 2\n", "duplicate key 'order'"),
    # dead data: a tag nobody can hold, or one declared and never used (issue 16)
    ("tag-on-safe-choice", KS1_LESSON, "        feedback: Yes. Grandad can help.\n",
     "        feedback: Yes. Grandad can help.\n        misconception: keep-secret\n",
     f"{KS1_LESSON}:44: step 2 (choose) choice 1: a safe choice carries a misconception tag"),
    ("tag-on-right-option", KS1_QUIZ, "        correct: true\n        feedback: Yes!\n",
     "        correct: true\n        feedback: Yes!\n        misconception: keep-watching\n",
     f"{KS1_QUIZ}:12: question 1 (scary) option 1: the right option carries a misconception"),
    ("declared-tag-unused", KS1_LESSON, "  all-ask: Thinks everything needs a grown-up.\n",
     "  all-ask: Thinks everything needs a grown-up.\n  never-used: Thinks nothing.\n",
     f"{KS1_LESSON}:21: misconceptions: misconception 'never-used' is declared but no wrong "
     "answer or weak choice uses it"),
    ("finish-not-text", KS2_LESSON, "finish: Make up a password", "finish:\n  - Make up",
     "'finish' should be text"),
]

EXPLAIN = """  - id: why-tell
    type: explain
    prompt: Mo tells Grandad about the scary video. Why is that good?
    reasons:
      - text: Because Grandad can help.
        correct: true
        feedback: That's it.
      - text: Because Mo is in trouble.
        feedback: Mo is not in trouble.
        misconception: keep-secret
      - text: Because Grandad likes videos.
        feedback: Telling is about getting help.
        misconception: all-ask
"""
EXPLAIN_CASES = [
    ("no-best-reason", "        correct: true\n        feedback: That's it.\n",
     "        feedback: That's it.\n", "question 5 (why-tell): has no correct answer; mark "
     "exactly one reason 'correct: true'"),
    ("not-because", "Because Mo is in trouble.", "Mo is in trouble.",
     "question 5 (why-tell) reason 2: a reason should start with 'Because'"),
    ("untagged-reason", "        misconception: all-ask\n", "",
     "question 5 (why-tell) reason 3: a wrong reason needs a 'misconception' tag"),
    ("two-reasons", "      - text: Because Grandad likes videos.\n"
     "        feedback: Telling is about getting help.\n        misconception: all-ask\n", "",
     "question 5 (why-tell): 'reasons' has 2 entries; it needs 3 to 5"),
    ("free-text-field", "    reasons:\n", "    answer_text: true\n    reasons:\n",
     "question 5 (why-tell): unknown field 'answer_text'"),
]


def test_an_explain_question_loads_as_reasons_to_choose(content):
    (content / KS1_QUIZ).write_text((content / KS1_QUIZ).read_text() + EXPLAIN)
    q = load_catalogue(content).lesson("fixture-tell").quiz.question("why-tell")
    assert q.type == "explain" and [o.correct for o in q.options] == [True, False, False]
    assert q.options[1].misconception == "keep-secret"


@pytest.mark.parametrize("name,old,new,expected", EXPLAIN_CASES, ids=[c[0] for c in EXPLAIN_CASES])
def test_a_malformed_explain_question_is_reported_with_file_and_line(content, name, old, new,
                                                                     expected):
    before = (content / KS1_QUIZ).read_text()
    assert old in EXPLAIN
    (content / KS1_QUIZ).write_text(before + EXPLAIN.replace(old, new, 1))
    found = [p for p in problems_for(content) if expected in p]
    assert found, expected
    file, line, _ = found[0].split(":", 2)
    assert file == KS1_QUIZ and int(line) > before.count("\n")  # a line of the new question


def test_no_loader_function_is_over_50_lines():
    import ast

    long = []
    for path in sorted((REPO / "app" / "content").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = node.end_lineno - node.lineno + 1
                if size > 50:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({size} lines)")
    assert long == []


@pytest.mark.parametrize("name,rel,old,new,expected", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_each_mistake_is_reported_with_file_and_place(content, name, rel, old, new, expected):
    edit(content, rel, old, new)
    found = problems_for(content)
    assert any(expected in line for line in found), found
    for line in found:
        file, lineno, _ = line.split(":", 2)
        assert (content / file).exists() and int(lineno) >= 1


def test_duplicate_slug_across_bands(content):
    shutil.copy(content / KS1_LESSON, content / "lessons/ks2/fixture-tell.yaml")
    found = problems_for(content)
    assert any("band 'ks1' does not match its folder 'ks2'" in p for p in found)


def test_duplicate_lesson_slug_is_reported(content):
    edit(content, KS2_LESSON, "slug: fixture-passwords", "slug: fixture-tell")
    found = problems_for(content)
    assert any("slug 'fixture-tell' should match the file name 'fixture-passwords'" in p
               for p in found)


def test_quiz_used_by_two_lessons_and_unused_quiz(content):
    text = (content / KS2_LESSON).read_text().replace("slug: fixture-passwords",
                                                      "slug: second").replace("order: 1",
                                                                              "order: 2")
    (content / "lessons/ks2/second.yaml").write_text(text)
    (content / "quizzes/ks2/spare.yaml").write_text(
        (content / KS2_QUIZ).read_text().replace("slug: fixture-passwords", "slug: spare"))
    found = problems_for(content)
    assert any("quiz 'fixture-passwords' is already used by" in p for p in found)
    assert any("quizzes/ks2/spare.yaml:1: quiz 'spare' is not used by any lesson" in p
               for p in found)


def test_a_failing_file_never_half_loads(content):
    edit(content, KS2_QUIZ, "type: order", "type: essay")
    with pytest.raises(ContentError):
        load_catalogue(content)


def test_check_content_cli_reports_problems_and_exit_codes(content):
    from click.testing import CliRunner

    runner = CliRunner()
    ok = runner.invoke(check_content_command, ["--content-dir", str(content)])
    assert ok.exit_code == 0
    assert "Content OK: 2 lessons (KS1 1, KS2 1), 2 quizzes, 8 questions." in ok.output

    edit(content, KS1_LESSON, "strands: [health-wellbeing-and-lifestyle]", "strands: [cooking]")
    edit(content, KS1_QUIZ, "        correct: true\n", "")
    bad = runner.invoke(check_content_command, ["--content-dir", str(content)])
    assert bad.exit_code == 1
    lines = [line for line in bad.output.splitlines() if line.startswith(("lessons/", "quiz"))]
    assert lines == [
        f"{KS1_LESSON}:7: strands: unknown strand 'cooking'",
        f"{KS1_QUIZ}:9: question 1 (scary): has no correct answer; mark exactly one option "
        "'correct: true'",
        f"{KS1_QUIZ}:9: question 1 (scary) option 1: a wrong option needs a 'misconception' tag",
    ]


def test_app_refuses_to_start_with_invalid_content_in_the_same_words(content, capsys):
    edit(content, KS1_LESSON, "strands: [health-wellbeing-and-lifestyle]", "strands: [cooking]")
    with pytest.raises(SystemExit) as info:
        create_app({"TESTING": True, "SECRET_KEY": "x", "CONTENT_DIR": str(content),
                    "DATABASE_URL": "sqlite://"})
    assert "will not start" in str(info.value)
    assert f"{KS1_LESSON}:7: strands: unknown strand 'cooking'" in capsys.readouterr().err


def test_the_shipped_course_is_valid():
    cat = load_catalogue(REPO)
    assert len(cat.by_band["ks1"]) >= 2 and len(cat.by_band["ks2"]) >= 2
