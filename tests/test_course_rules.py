"""The second edition's course rules (app/content/checks.py): each rule fires on a bad text and
passes a good one, and the REAL course in lessons/ and quizzes/ keeps every rule."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from app.cli import check_content_command
from app.content import load_catalogue
from app.content.checks import (
    ROUTINE,
    ROUTINE_ORDER,
    STANDARDS_FILE,
    all_problems,
    branches,
    course_stats,
    disclosure_prompts,
    has_reasoning_item,
    is_routine_question,
    load_standards,
    picture_keeping_advice,
    routine_order_problem,
    safe_teaching_problems,
)
from app.content.model import Question

from .conftest import FIXTURE_CONTENT, REPO


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(REPO)


# --- pictures of bodies are never kept -------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Take a screenshot of the photo to show a grown-up.",
    "Keep proof. Take a screenshot. Ellie's photo was posted in the chat.",
    "Save the picture so you can show your teacher later.",
    "If someone sends you a picture, forward it to your mum.",
    "Together they take screenshots of the pictures, then block the player.",
    "You can keep the photo as proof.",
])
def test_picture_rule_fires_on_advice_to_keep_a_picture(text):
    assert picture_keeping_advice(text), text


@pytest.mark.parametrize("text", [
    "If someone sends a picture of a body, don't look again, don't save it and don't send it "
    "on. Tell a trusted adult straight away.",
    "Keep the messages. Never keep a picture of a body.",
    "Once a picture is sent, it can be saved, copied or sent on in seconds.",
    "Friends can share a post or take a screenshot.",
    "Disappearing pictures can still be saved with a screenshot.",
    "A screenshot is a picture of the screen.",
    "Keep the messages, and tell a trusted adult.",  # words, not pictures
    "Save your work, then sign out.",
])
def test_picture_rule_passes_safe_text(text):
    assert picture_keeping_advice(text) == [], text


def test_a_screenshot_of_words_is_fine_only_with_the_body_exception():
    bad = "Ellie gets a rude photo comment. Take a screenshot of the words."
    assert picture_keeping_advice(bad)
    assert picture_keeping_advice(bad + " Never keep a picture of a body.") == []


# --- one block-and-tell routine --------------------------------------------------------------


def test_the_routines_are_written_once_and_ks2_extends_ks1():
    ks1, ks2 = ROUTINE_ORDER["ks1"], ROUTINE_ORDER["ks2"]
    assert [s for s in ks2 if s in ks1] == list(ks1), "KS2 must keep KS1's order"
    assert ROUTINE["ks1"][0] == "Stop." and "Don't reply" in ROUTINE["ks2"][0]
    assert "picture of a body" in ROUTINE["ks2"][2]


@pytest.mark.parametrize("band, text, bad", [
    ("ks2", "Don't reply, block them, keep the messages, then tell a trusted adult.", True),
    ("ks2", "Don't reply. Keep proof, like a screenshot. Block and report. Tell an adult.", True),
    ("ks1", "Don't reply. Block them and tell a grown-up.", True),
    ("ks1", "Don't reply, keep the message, and tell Mum.", True),  # KS1 has no keep step
    ("ks2", "Stop. Don't reply. Tell a trusted adult. Keep the messages. Block and report.",
     False),
    ("ks1", "Stop. Don't reply. Tell a grown-up you trust. They can help you block.", False),
    ("ks2", "Tell a trusted adult about it.", False),  # one step is not a routine
])
def test_routine_order_rule(band, text, bad):
    assert bool(routine_order_problem(text, band)) is bad


def test_an_order_question_in_another_order_is_caught(tmp_path):
    q = Question(id="q", index=0, type="order", prompt="Put them in order.",
                 items=("Don't reply.", "Block them.", "Keep the messages.", "Tell an adult."))
    assert is_routine_question(q) and q.items != ROUTINE["ks2"]
    other = Question(id="r", index=0, type="order", prompt="Sign out.",
                     items=("Save your work.", "Sign out.", "Close the laptop."))
    assert not is_routine_question(other)


def test_the_check_fails_a_course_that_teaches_another_order(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(REPO / "lessons", root / "lessons")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    shutil.copytree(REPO / "static" / "img" / "lessons", root / "static" / "img" / "lessons")
    quiz = root / "quizzes" / "ks2" / "block-and-tell.yaml"
    text = quiz.read_text()
    swapped = text.replace("      - Tell a trusted adult.\n", "").replace(
        "      - Block and report, with the adult's help.\n",
        "      - Block and report, with the adult's help.\n      - Tell a trusted adult.\n")
    assert swapped != text
    quiz.write_text(swapped)
    lesson = root / "lessons" / "ks2" / "banter-or-bullying.yaml"
    lesson.write_text(lesson.read_text().replace(
        "Ellie and her mum show the messages to Miss Novak.",
        "Take a screenshot of the photo. Ellie and her mum show it to Miss Novak."))
    other = root / "lessons" / "ks2" / "block-and-tell.yaml"
    other.write_text(other.read_text().replace(
        "summary: If someone is unkind online, we stop and don't reply. We tell a trusted adult. "
        "They help us block and report.",
        "summary: If someone is unkind online, we don't reply, we block them, then we tell Mum."))
    result = CliRunner().invoke(check_content_command, ["--content-dir", str(root)])
    assert result.exit_code == 1
    assert "quizzes/ks2/block-and-tell.yaml:" in result.output
    assert "must use the KS2 routine's words" in result.output
    assert "lessons/ks2/block-and-tell.yaml:6: summary: block-and-tell in another order" \
        in result.output
    assert "lessons/ks2/banter-or-bullying.yaml:" in result.output
    assert "advice to screenshot, save, keep or forward" in result.output


# --- safe teaching ---------------------------------------------------------------------------


def test_disclosure_prompts_are_caught_but_warnings_against_them_are_not():
    assert disclosure_prompts("Warm up. Has this happened to you? Talk in pairs.")
    assert disclosure_prompts("Show hands: who has had a photo of them shared?")
    assert disclosure_prompts("Ask pupils to share their own experiences.")
    assert disclosure_prompts('Never ask "Has this happened to you?".') == []
    assert disclosure_prompts("What could Nia do next?") == []


def test_safe_teaching_section_must_open_the_notes_and_cover_everything():
    good = ("**Safe teaching (read first)**\n\nAgree ground rules. Use distancing. If a child "
            "discloses, tell the Designated Safeguarding Lead (DSL).\n\n**Timing**\n\n- 5 min")
    assert safe_teaching_problems(good) == []
    assert safe_teaching_problems("**Timing**\n\n" + good)[0].startswith("a sensitive")
    missing = safe_teaching_problems("**Safe teaching**\n\nAgree ground rules.\n\n**Timing**")
    assert len(missing) == 3 and any("distancing" in m for m in missing)


# --- the real course keeps every rule ---------------------------------------------------------


def test_the_real_course_declares_the_second_edition_standards():
    std = load_standards(REPO)
    assert std.declared, f"{STANDARDS_FILE} is missing"
    assert std.min_lessons_per_year >= 6
    assert std.min_questions >= 5
    assert std.true_share[0] >= 0.4 and std.true_share[1] <= 0.6
    assert std.max_longest_right <= 0.45
    assert std.min_ks2_scenarios >= 2 and std.consequence_step
    assert {"sharing-pictures-safely", "people-who-pretend", "banter-or-bullying",
            "people-who-try-to-change-your-mind", "body-image-and-edited-photos"} \
        <= set(std.sensitive_lessons)


def test_the_standards_catch_an_unbalanced_or_thin_course(catalogue, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(REPO / "lessons", root / "lessons")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    shutil.copytree(REPO / "static" / "img" / "lessons", root / "static" / "img" / "lessons")
    std = root / STANDARDS_FILE
    std.write_text(std.read_text().replace("min_lessons_per_year: 6", "min_lessons_per_year: 60")
                   .replace("true_share: [0.4, 0.6]", "true_share: [0.9, 1.0]")
                   .replace("min_questions: 5", "min_questions: 9"))
    problems = all_problems(load_catalogue(root), root)
    assert any(p.startswith(f"{STANDARDS_FILE}:1: Year 3: ") and "lessons; each year group"
               in p for p in problems)
    assert any("Year 5: " in p and "true/false answers are 'true'" in p for p in problems)
    assert any("KS1: " in p and "keep it between 90% and 100%" in p for p in problems)
    assert any(p.startswith("quizzes/ks1/") and "at least 9" in p for p in problems)


def test_every_lesson_plays_out_a_consequence_and_ks2_has_two_scenarios(catalogue):
    for lesson in catalogue.lessons.values():
        kinds = {s.id: s.type for s in lesson.steps}
        assert any(not c.safe and kinds.get(c.next) == "story"
                   for s in lesson.steps for c in s.choices), lesson.slug
        if lesson.band == "ks2":
            assert sum(s.type == "scenario" for s in lesson.steps) >= 2, lesson.slug
        assert len(lesson.quiz.questions) >= 5, lesson.slug


def test_the_real_course_keeps_every_rule(catalogue):
    problems = all_problems(catalogue, REPO)
    assert problems == [], "\n".join(problems)


def test_a_course_without_standards_is_checked_by_the_loader_only(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    assert not load_standards(root).declared
    assert all_problems(load_catalogue(root), root) == []


def test_check_content_reports_every_band_and_year(catalogue):
    result = CliRunner().invoke(check_content_command, ["--content-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in ("KS1", "KS2", *(f"Year {y}" for y in range(1, 7))):
        line = next((x for x in lines if x.startswith(name + ":")), None)
        assert line, f"no line for {name}"
        assert "true/false" in line and "right-answer positions" in line
    bands, years = course_stats(catalogue)
    assert f"{bands['ks1'].lessons} lessons" in next(x for x in lines if x.startswith("KS1:"))
    assert sum(s.lessons for s in bands.values()) == len(catalogue)


# --- words that never contradict (issue 15) and assessing items (issue 10) ---------------------


def _course_copy(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(REPO / "lessons", root / "lessons")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    shutil.copytree(REPO / "static" / "img" / "lessons", root / "static" / "img" / "lessons")
    return root


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_feedback_never_contradicts_the_answer(tmp_path):
    root = _course_copy(tmp_path)
    _replace(root / "quizzes/ks2/knowing-or-trusting.yaml",
             "feedback: That is right, he cannot be sure.", "feedback: Yes. He cannot be sure.")
    _replace(root / "quizzes/ks2/copyright-and-credit.yaml",
             "feedback_false: That's right. Being online", "feedback_false: Yes! Being online")
    _replace(root / "lessons/ks1/kind-words.yaml", "feedback: Mr Ash can only help",
             "feedback: Well done. Mr Ash can only help")
    problems = all_problems(load_catalogue(root), root)
    found = [p for p in problems if "feedback" in p]
    assert any(p.startswith("quizzes/ks2/knowing-or-trusting.yaml:11: question does-hamza-know "
                            "option 1 feedback: the right answer is 'No'") for p in found), found
    assert any(p.startswith("quizzes/ks2/copyright-and-credit.yaml:10: question online-free "
                            "feedback_false: the right answer is 'False'") for p in found), found
    assert any(p.startswith("lessons/ks1/kind-words.yaml:") and "wrong answer starts with "
               "praise ('Well done')" in p for p in found), found


def test_a_pupil_never_gets_the_parents_tip(tmp_path):
    root = _course_copy(tmp_path)
    lesson = root / "lessons/ks1/tell-a-grown-up.yaml"
    text = lesson.read_text()
    finish = next(line for line in text.splitlines() if line.startswith("finish:"))
    lesson.write_text(text.replace(finish + "\n", ""))
    _replace(root / "lessons/ks2/strong-passwords.yaml", "summary: ",
             "summary: Sit with your child. ")
    problems = all_problems(load_catalogue(root), root)
    assert any(p.startswith("lessons/ks1/tell-a-grown-up.yaml:") and "finish: no 'finish' "
               "words" in p for p in problems), problems
    assert any(p.startswith("lessons/ks2/strong-passwords.yaml:") and "summary: speaks to a "
               "parent ('with your child')" in p for p in problems), problems


def test_the_finish_page_shows_the_pupils_words_not_the_family_tip():
    done = (REPO / "templates" / "learn" / "done.html").read_text()
    assert "lesson.finish" in done and "family_tip" not in done


def test_every_quiz_has_a_reason_item_and_a_third_of_ks2_scenarios_branch(catalogue, tmp_path):
    for lesson in catalogue.lessons.values():
        assert has_reasoning_item(lesson), lesson.slug
    ks2 = [(x, s) for x in catalogue.lessons.values() if x.band == "ks2" for s in x.scenarios]
    assert sum(branches(x, s) for x, s in ks2) * 3 >= len(ks2)
    root = _course_copy(tmp_path)
    std = root / STANDARDS_FILE
    _replace(std, "min_ks2_branching: 0.33", "min_ks2_branching: 0.9")
    quiz = root / "quizzes/ks2/real-or-fake.yaml"
    quiz.write_text(quiz.read_text().split("  - id: why-check-first")[0])
    problems = all_problems(load_catalogue(root), root)
    assert any(p.startswith(f"{STANDARDS_FILE}:1: KS2: ") and "scenarios branch to different "
               "endings" in p and "at least 90%" in p for p in problems), problems
    assert "quizzes/ks2/real-or-fake.yaml:1: quiz: no 'explain why' question (type: explain) " \
        "and no 'what would you do?' choice" in problems


def test_a_retry_loop_is_not_a_branch(catalogue):
    kind = catalogue.lesson("kind-words")  # KS1: the weak choice's story returns for a retry
    loops = [s for s in kind.scenarios if not branches(kind, s)]
    assert loops, "a KS1 consequence step that leads back to the scenario is not a branch"
