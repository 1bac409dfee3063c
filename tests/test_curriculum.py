"""Quality gates on the REAL course in lessons/ and quizzes/ (not the test fixtures).

Parametrised per lesson, so a failure names the lesson, and the message names the block.
The rules are in docs/curriculum.md ("How we speak to children", "Quality gates") and
docs/content-format.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content import STRANDS, ContentError, load_catalogue
from app.content.model import QUESTION_TYPES, Lesson, Question
from app.content.quality import (
    MAX_GRADE,
    ReadingException,
    blame_phrases,
    brand_names,
    exception_problems,
    load_reading_exceptions,
    pupil_blocks,
    reading_grade,
    svg_problems,
    too_hard,
)
from app.content.topics import load_topics
from app.teach.course import is_upper_ks2_only

from .conftest import REPO

LESSON_SLUGS = sorted(p.stem for p in REPO.glob("lessons/ks[12]/*.y*ml"))
EXCEPTIONS_FILE = REPO / "lessons" / "reading-exceptions.yaml"
IMAGES = REPO / "static" / "img" / "lessons"

# The topics the school policies name (docs/curriculum.md, "The topic map"): each must stay in
# lessons/topics.yaml.
SEED_TOPICS = {
    "fake-news", "contact", "conduct", "content", "commercialism", "gaming-age-ratings",
    "gaming-strangers-in-chat", "gaming-spending-and-loot-boxes", "gaming-time-limits",
    "block-and-tell", "personal-information", "passwords", "phishing-and-spam",
    "asking-before-sharing-pictures", "persuasion-and-extremism", "people-who-pretend",
    "body-image", "live-streaming", "copyright", "screen-time", "when-things-go-wrong",
    "digital-citizen",
    # second edition (issue 10): the topics the first edition lacked
    "meeting-up", "age-limits-and-terms", "apps-data-and-permissions",
    "influencers-and-sponsored-content", "ai-and-deepfakes", "fact-opinion-belief", "voice-chat",
    "children-reporting-to-ceop", "trusted-adult", "kind-words",
}
# The core routines every year group returns to (docs/curriculum.md, "Year by year").
CORE_ROUTINES = ("trusted-adult", "block-and-tell", "personal-information", "kind-words",
                 "passwords")
UPPER_KS2_TOPICS = {"persuasion-and-extremism", "people-who-pretend", "meeting-up"}
FOUR_C_TOPICS = {"contact": "contact", "conduct": "conduct", "content": "content",
                 "commercialism": "commerce"}


@pytest.fixture(scope="module")
def catalogue():
    try:
        return load_catalogue(REPO)
    except ContentError as exc:
        pytest.fail(f"the course does not load ({len(exc.problems)} problems):\n{exc}",
                    pytrace=False)


@pytest.fixture(scope="module")
def topics():
    return load_topics(REPO)


def lesson_of(catalogue, slug: str) -> Lesson:
    lesson = catalogue.lesson(slug)
    assert lesson is not None, f"{slug}: not in the loaded course"
    return lesson


per_lesson = pytest.mark.parametrize("slug", LESSON_SLUGS)


def report(problems: list[str], header: str) -> None:
    """Fail with one line per problem and no traceback: the message is the whole story."""
    if problems:
        pytest.fail(header + "\n" + "\n".join(f"  {p}" for p in problems), pytrace=False)


def test_there_are_lessons_to_check():
    assert LESSON_SLUGS, "no lesson files found under lessons/ks1 or lessons/ks2"


# --- reading level --------------------------------------------------------------------------


@per_lesson
def test_reading_level(catalogue, slug):
    lesson = lesson_of(catalogue, slug)
    excused = {e.where for e in load_reading_exceptions(EXCEPTIONS_FILE) if e.lesson == slug}
    hard = [f"{b.where}: grade {grade} ({b.text!r})"
            for b, grade in too_hard(lesson) if b.where not in excused]
    report(hard, f"{slug} ({lesson.band}): blocks above Flesch-Kincaid grade "
                 f"{MAX_GRADE[lesson.band]:g}:")


def test_reading_exceptions_are_explained_and_still_needed(catalogue):
    problems = exception_problems(catalogue.lessons, load_reading_exceptions(EXCEPTIONS_FILE))
    report(problems, "lessons/reading-exceptions.yaml:")


def test_exception_checker_catches_stale_and_unexplained_entries(catalogue):
    lesson = next(iter(catalogue.lessons.values()))
    easy = next(b for b in pupil_blocks(lesson) if reading_grade(b.text) <= MAX_GRADE["ks1"])
    entries = [
        ReadingException(lesson.slug, "step no-such-step title", "gone"),
        ReadingException("no-such-lesson", "title", "gone"),
        ReadingException(lesson.slug, easy.where, ""),
    ]
    problems = exception_problems(catalogue.lessons, entries)
    assert any("step no-such-step title: matches no block" in p for p in problems)
    assert any("no-such-lesson / title: matches no block" in p for p in problems)
    assert any(f"{easy.where}: no reason given" in p for p in problems)
    assert any(f"{easy.where}: now reads at grade" in p for p in problems)
    assert exception_problems(catalogue.lessons, entries[:1] * 2)[1].endswith("listed twice")


def test_exceptions_file_must_be_a_list_of_entries(tmp_path):
    path = tmp_path / "reading-exceptions.yaml"
    assert load_reading_exceptions(path) == []
    path.write_text("- lesson: a\n  where: title\n  reason: r\n  extra: x\n")
    with pytest.raises(ValueError, match="entry 1"):
        load_reading_exceptions(path)


def test_blocks_cover_every_pupil_facing_text(catalogue):
    lesson = next(iter(catalogue.lessons.values()))
    wheres = [b.where for b in pupil_blocks(lesson)]
    assert wheres[:2] == ["title", "summary"]
    assert len(wheres) == len(set(wheres)), "two blocks share a 'where'"
    assert any(w.startswith("i_can ") for w in wheres)
    assert any(w.endswith(" body") for w in wheres)
    assert any(" choice " in w and w.endswith(" feedback") for w in wheres)
    assert any(w.startswith("question ") and w.endswith(" prompt") for w in wheres)
    assert not any("family" in w or "teacher" in w for w in wheres)  # adults' text


def test_markdown_is_measured_as_text():
    from app.content.quality import markdown_to_text

    assert markdown_to_text("**Stop** and *tell*.\n\n- Block them\n- Tell") == (
        "Stop and tell.\nBlock them.\nTell.")
    assert reading_grade("Mo likes trains. He has a red train.") <= MAX_GRADE["ks1"]


# --- words that must never reach a child ----------------------------------------------------


@pytest.mark.parametrize("text, found", [
    ("It was your fault.", ["your fault"]),
    ("That is your own fault.", ["your fault"]),
    ("You should have known better.", ["you should have known"]),
    ("You should've known.", ["you should have known"]),
    ("That was a stupid thing to do.", ["stupid"]),
    ("Don't be naughty.", ["naughty"]),
    ("You deserve it.", ["you deserve it"]),
    ("Shame on you!", ["shame on you"]),
    ("It is not your fault.", []),
    ("It's never your fault, and it isn't your fault now.", []),
    ("It is NOT your fault.", []),
    ("You deserve to feel safe.", []),
    ("Kemi is kind. She tells Mum.", []),
])
def test_blame_checker(text, found):
    assert blame_phrases(text) == found


@pytest.mark.parametrize("text, found", [
    ("I watched it on YouTube.", ["YouTube"]),
    ("a you tube video", ["YouTube"]),
    ("Mo plays minecraft.", ["Minecraft"]),
    ("Join my Discord.", ["Discord"]),
    ("A video app and chat in a game.", []),
    ("His nose began to twitch.", []),  # everyday word, not the brand
    ("There was discord in the group.", []),
])
def test_brand_checker(text, found):
    assert brand_names(text) == found


@per_lesson
def test_no_blame_or_shame(catalogue, slug):
    found = [f"{b.where}: {', '.join(hits)} ({b.text!r})"
             for b in pupil_blocks(lesson_of(catalogue, slug), include_alt=True)
             if (hits := blame_phrases(b.text))]
    report(found, f"{slug}: blaming or shaming words in pupil text:")


@per_lesson
def test_no_brand_names(catalogue, slug):
    found = [f"{b.where}: {', '.join(hits)} ({b.text!r})"
             for b in pupil_blocks(lesson_of(catalogue, slug), include_alt=True)
             if (hits := brand_names(b.text))]
    report(found, f"{slug}: brand names in pupil text:")


# --- coverage -------------------------------------------------------------------------------


@pytest.mark.parametrize("band", ["ks1", "ks2"])
def test_every_strand_is_taught_in_each_key_stage(catalogue, band):
    taught = {s for lesson in catalogue.by_band[band] for s in lesson.strands}
    assert not set(STRANDS) - taught, f"{band}: no lesson for {sorted(set(STRANDS) - taught)}"


def test_enough_lessons_in_each_band(catalogue):
    ks1, ks2 = catalogue.by_band["ks1"], catalogue.by_band["ks2"]
    assert len(ks1) >= 12, f"KS1 has {len(ks1)} lessons; it needs at least 12"
    assert len(ks2) >= 20, f"KS2 has {len(ks2)} lessons; it needs at least 20"
    assert any(set(x.years) & {3, 4} for x in ks2), "no lower KS2 (Years 3-4) lesson"
    assert any(set(x.years) & {5, 6} for x in ks2), "no upper KS2 (Years 5-6) lesson"


@pytest.mark.parametrize("year", range(1, 7))
def test_each_year_group_has_its_own_lessons_and_revisits_the_core_routines(catalogue, topics,
                                                                             year):
    lessons = [x for x in catalogue.lessons.values() if year in x.years]
    problems = []
    if len(lessons) < 6:
        problems.append(f"{len(lessons)} lessons; each year group needs at least 6")
    slugs = {x.slug for x in lessons}
    by_id = {t.id: t for t in topics}
    for routine in CORE_ROUTINES:
        if not slugs & set(by_id[routine].lessons):
            problems.append(f"no lesson revisits the core routine '{routine}'")
    phase_years = {1: (1, 2), 2: (1, 2), 3: (3, 4), 4: (3, 4), 5: (5, 6), 6: (5, 6)}[year]
    taught = {s for y in phase_years for x in catalogue.lessons.values() if y in x.years
              for s in x.strands}
    problems += [f"strand '{s}' is not taught in Years {phase_years[0]}-{phase_years[1]}"
                 for s in sorted(set(STRANDS) - taught)]
    report(problems, f"Year {year}:")


def test_topic_map_names_every_seed_topic(topics):
    ids = [t.id for t in topics]
    assert not SEED_TOPICS - set(ids), f"topics.yaml lacks {sorted(SEED_TOPICS - set(ids))}"
    assert UPPER_KS2_TOPICS == {t.id for t in topics if t.upper_ks2_only}


@pytest.mark.parametrize("topic_id", sorted(SEED_TOPICS))
def test_topic_maps_to_existing_lessons(catalogue, topics, topic_id):
    topic = next((t for t in topics if t.id == topic_id), None)
    if topic is None or not topic.lessons:
        report(["no lesson teaches it"], f"{topic_id} (lessons/topics.yaml):")
    problems = [f"names '{s}', which is not a lesson" for s in topic.lessons
                if catalogue.lesson(s) is None]
    found = [catalogue.lesson(s) for s in topic.lessons if catalogue.lesson(s) is not None]
    if topic.upper_ks2_only:
        problems += [f"is for Years 5-6 only, but names {x.slug} (years {list(x.years)})"
                     for x in found if not is_upper_ks2_only(x)]
    if topic_id in FOUR_C_TOPICS:
        problems += [f"names {x.slug}, which is not tagged '{FOUR_C_TOPICS[topic_id]}'"
                     for x in found if FOUR_C_TOPICS[topic_id] not in x.four_cs]
    report(problems, f"{topic_id} (lessons/topics.yaml):")


# --- structure ------------------------------------------------------------------------------


def _wrong_answer_tags(q: Question) -> list[str | None]:
    if q.type in ("choice", "explain"):
        return [o.misconception for o in q.options if not o.correct]
    if q.type == "sort":
        return [i.misconception for i in q.sort_items]
    return [q.misconception]


@per_lesson
def test_quiz_questions_have_one_right_answer_and_tagged_wrong_ones(catalogue, slug):
    lesson = lesson_of(catalogue, slug)
    declared = dict(lesson.misconceptions)
    quiz = lesson.quiz
    problems = []
    if not 4 <= len(quiz.questions) <= 8:
        problems.append(f"the quiz has {len(quiz.questions)} questions; it needs 4 to 8")
    if len({q.type for q in quiz.questions}) < 2:
        problems.append("the quiz uses only one question type; it needs at least two")
    for q in quiz.questions:
        where = f"question {q.id}"
        if q.type in ("choice", "explain") and sum(o.correct for o in q.options) != 1:
            problems.append(f"{where}: {sum(o.correct for o in q.options)} correct options")
        elif q.type == "true_false" and not isinstance(q.answer, bool):
            problems.append(f"{where}: no true/false answer")
        elif q.type == "order" and not 3 <= len(q.items) == len(set(q.items)):
            problems.append(f"{where}: the right order is not clear")
        elif q.type == "sort":
            groups = {g.id for g in q.groups}
            if {i.group for i in q.sort_items} != groups:
                problems.append(f"{where}: an item has no right group, or a group is empty")
        for tag in _wrong_answer_tags(q):
            if not tag:
                problems.append(f"{where}: a wrong answer has no misconception tag")
            elif tag not in declared:
                problems.append(f"{where}: misconception '{tag}' is not explained")
    report(problems, f"{slug}:")


def test_course_uses_every_question_type(catalogue):
    used = {q.type for x in catalogue.lessons.values() for q in x.quiz.questions}
    assert used == set(QUESTION_TYPES)


def _targets(lesson: Lesson, index: int) -> set[str]:
    """Where a step can lead: an explicit next, else the following step (or the quiz)."""
    step = lesson.steps[index]
    after = lesson.steps[index + 1].id if index + 1 < len(lesson.steps) else "quiz"
    if step.type == "story":
        return {step.next or after}
    return {c.next or (after if c.safe else step.id) for c in step.choices}


@per_lesson
def test_steps_scenarios_and_statements(catalogue, slug):
    lesson = lesson_of(catalogue, slug)
    ids = [s.id for s in lesson.steps]
    stories = [s for s in lesson.steps if s.type == "story"]
    scenarios = [s for s in lesson.steps if s.type == "scenario"]
    problems = []
    if not 2 <= len(lesson.i_can) <= 4:
        problems.append(f"{len(lesson.i_can)} 'I can' statements; it needs 2 to 4")
    if not 3 <= len(stories) <= 6:
        problems.append(f"{len(stories)} story steps; it needs 3 to 6")
    if not scenarios:
        problems.append("no scenario step")
    for s in scenarios:
        if len(s.choices) < 3:
            problems.append(f"step {s.id}: {len(s.choices)} choices; a scenario needs 3+")
        if not any(c.safe for c in s.choices):
            problems.append(f"step {s.id}: no safe choice")
        for n, c in enumerate(s.choices, 1):
            if c.next not in (None, "quiz", *ids):
                problems.append(f"step {s.id} choice {n}: leads to missing step '{c.next}'")
            if not c.safe and not c.misconception:
                problems.append(f"step {s.id} choice {n}: weak choice without a misconception")
    reached, todo = set(), [ids[0]] if ids else []
    while todo:
        sid = todo.pop()
        if sid not in reached and sid in ids:
            reached.add(sid)
            todo.extend(_targets(lesson, ids.index(sid)))
    problems += [f"step {sid}: orphan, no path from the first step reaches it"
                 for sid in ids if sid not in reached]
    if not any("quiz" in _targets(lesson, ids.index(sid)) for sid in reached):
        problems.append("no path from the steps to the quiz")
    report(problems, f"{slug}:")


# --- help route -----------------------------------------------------------------------------


def help_box_html(app, band: str) -> str:
    with app.test_request_context():  # the box links to the "who can see what" page
        return str(app.jinja_env.get_template("_macros/ui.html").module.help_box(band))


def test_help_box_signposts_childline_and_the_lead_in_both_bands(app):
    """Every lesson with the help route ends with this box (done.html), so every KS2 one
    signposts Childline's number whether or not its own text does."""
    for band in ("ks1", "ks2"):
        html = help_box_html(app, band)
        assert "0800 1111" in html and "999" in html and "grown-up you trust" in html
        assert "safeguarding lead" in html
    done = (REPO / "templates" / "learn" / "done.html").read_text()
    assert ("{% if lesson.help_route %}{{ help_box(lesson.band, lead_names("
            "current_user.school_id)) }}{% endif %}") in done


@per_lesson
def test_harm_topics_have_the_help_route(catalogue, slug):
    lesson = lesson_of(catalogue, slug)
    why = [label for label, hit in (("4 Cs include contact", "contact" in lesson.four_cs),
                                    ("strands include online-bullying",
                                     "online-bullying" in lesson.strands)) if hit]
    if why and not lesson.help_route:
        report([f"{' and '.join(why)}, so it needs help_route: true"], f"{slug}:")


# --- pictures -------------------------------------------------------------------------------


@per_lesson
def test_lesson_pictures_are_small_safe_svgs_with_alt_text(catalogue, slug):
    lesson = lesson_of(catalogue, slug)
    pictures = [(lesson.picture, lesson.picture_alt, "picture")]
    pictures += [(s.picture, s.alt, f"step {s.id}") for s in lesson.steps if s.picture]
    problems = []
    for name, alt, where in pictures:
        if not (alt or "").strip():
            problems.append(f"{where}: no alt text")
        if not name:
            problems.append(f"{where}: no picture")
        else:
            problems += [f"{where}: {p}" for p in svg_problems(IMAGES / Path(name).name)]
    report(problems, f"{slug}:")


def test_svg_checker_catches_unsafe_pictures(tmp_path):
    good = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'viewBox="0 0 400 300"><defs><circle id="c" r="5"/></defs><use href="#c"/></svg>')
    bad = {
        "no-viewbox": '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        "script": good.replace("</svg>", "<script>alert(1)</script></svg>"),
        "image": good.replace("</svg>", '<image href="http://x.example/a.png"/></svg>'),
        "onload": good.replace("<svg ", '<svg onload="x()" '),
        "css-url": good.replace("</svg>", '<rect style="fill:url(https://x.example/p)"/></svg>'),
        "words": good.replace("</svg>", "<text>Hi</text></svg>"),
        "big": good.replace("</svg>", "<!--" + "x" * 9000 + "--></svg>"),
        "not-xml": "<svg",
    }
    (tmp_path / "good.svg").write_text(good)
    assert svg_problems(tmp_path / "good.svg") == []
    for name, text in bad.items():
        (tmp_path / f"{name}.svg").write_text(text)
        assert svg_problems(tmp_path / f"{name}.svg"), name
