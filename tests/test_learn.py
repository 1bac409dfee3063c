"""The pupil's lesson player: steps, scenario choices, quiz answers and progress, via HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.db import db
from app.models import LessonProgress, Pupil, QuizAnswer, ScenarioChoice, User

from .helpers import real_page, sign_in, submit

KS2 = "/learn/fixture-passwords"
KS1 = "/learn/fixture-tell"


@pytest.fixture
def pupil_client(client):
    sign_in(client, "pupil")
    return client


def alex(app) -> Pupil:
    with app.app_context():
        return db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))


def rows(app, model, **where):
    """Rows of the pupils these tests sign in as (the demo gives the others learning)."""
    from app.demo_progress import FRESH
    from app.models import Pupil

    with app.app_context():
        fresh = select(Pupil.id).where(Pupil.first_name.in_([first for first, _ in FRESH]))
        query = select(model).where(model.pupil_id.in_(fresh))
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return list(db.session.scalars(query.order_by(model.id)))


def test_home_lists_only_the_pupils_band(pupil_client):
    html = pupil_client.get("/learn/").get_data(as_text=True)
    assert "Strong passwords" in html and "Tell a grown-up" not in html
    assert "Carry on where you left off" not in html


@pytest.mark.parametrize("url", [
    f"{KS1}/", f"{KS1}/step/meet", "/learn/no-such-lesson/", f"{KS2}/step/no-such-step",
    f"{KS2}/quiz/no-such-question",
])
def test_other_band_or_missing_lesson_is_a_friendly_404(pupil_client, url):
    response = pupil_client.get(url)
    assert response.status_code == 404
    assert "We can&#39;t find that page" in response.get_data(as_text=True)


def test_cannot_skip_ahead_by_url(pupil_client):
    assert pupil_client.get(f"{KS2}/quiz/best").location.endswith(f"{KS2}/")
    assert pupil_client.get(f"{KS2}/done").location.endswith(f"{KS2}/")
    assert pupil_client.get(f"{KS2}/step/end").location.endswith(f"{KS2}/")


def test_full_ks2_lesson_records_progress_choices_and_answers(app, pupil_client):
    c = pupil_client
    assert c.get(f"{KS2}/").location.endswith(f"{KS2}/step/intro")
    page = c.get(f"{KS2}/step/intro").get_data(as_text=True)
    assert "Step 1 of 8" in page and 'value="0"' in page
    assert submit(c, f"{KS2}/step/intro").location.endswith("/step/words")
    assert submit(c, f"{KS2}/step/words").location.endswith("/step/friend")

    # carry on where you left off
    home = c.get("/learn/").get_data(as_text=True)
    assert "Carry on where you left off" in home and 'href="/learn/fixture-passwords/"' in home
    assert c.get(f"{KS2}/").location.endswith("/step/friend")

    # a weak choice: kind feedback and a second try
    weak = submit(c, f"{KS2}/step/friend", {"choice": "b"})
    assert weak.location.endswith("/step/friend?chose=b")
    page = c.get(weak.location).get_data(as_text=True)
    assert "Let's think again." in page and "Even friends should not know it." in page
    assert "Try again" in page
    assert c.get(f"{KS2}/step/end").status_code == 302  # not unlocked by a weak choice
    good = submit(c, f"{KS2}/step/friend", {"choice": "a"})
    page = c.get(good.location).get_data(as_text=True)
    assert "Good choice!" in page and f'href="{KS2}/step/end"' in page
    assert submit(c, f"{KS2}/step/end").location.endswith("/quiz/best")

    # quiz: wrong, then right
    wrong = submit(c, f"{KS2}/quiz/best", {"answer": "b"})
    page = c.get(wrong.location).get_data(as_text=True)
    assert "Not quite." in page and "A pet&#39;s name is easy to guess." in page
    assert "Next question" not in page
    right = submit(c, f"{KS2}/quiz/best", {"answer": "a"})
    page = c.get(right.location).get_data(as_text=True)
    assert "That's right!" in page and "Next question" in page
    submit(c, f"{KS2}/quiz/share", {"answer": "false"})
    submit(c, f"{KS2}/quiz/tf2", {"answer": "true"})
    done = submit(c, f"{KS2}/quiz/order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})
    assert "Finish" in c.get(done.location).get_data(as_text=True)
    final = c.get(f"{KS2}/done")
    assert final.status_code == 200
    assert "You finished" in final.get_data(as_text=True)
    # the pupil's own finish words; the family tip is written for parents and never shown
    assert "Make up a password from three random words" in final.get_data(as_text=True)
    assert "Make a family password together" not in final.get_data(as_text=True)

    pupil = alex(app)
    choices = rows(app, ScenarioChoice, pupil_id=pupil.id)
    assert [(x.choice, x.safe, x.misconception) for x in choices] == [
        ("b", False, "share-with-friend"), ("a", True, None)]
    answers = rows(app, QuizAnswer, pupil_id=pupil.id)
    assert [(a.question_id, a.correct, a.attempt, a.misconception) for a in answers] == [
        ("best", False, 1, "name-is-fine"), ("best", True, 2, None),
        ("share", True, 1, None), ("tf2", True, 1, None), ("order", True, 1, None)]
    assert answers[0].answer == {"option": "b", "text": "Fluffy"}
    assert answers[0].school_id == pupil.school_id
    progress = rows(app, LessonProgress, pupil_id=pupil.id)[0]
    assert progress.completed_at is not None and progress.current == "done"
    home = c.get("/learn/").get_data(as_text=True)
    assert "Done ✓" in home and 'value="100"' in home
    # a finished lesson can be done again from the start
    assert c.get(f"{KS2}/?again=1").location.endswith("/step/intro")


def test_after_two_wrong_answers_the_answer_is_shown_and_the_pupil_can_move_on(pupil_client):
    c = pupil_client
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    submit(c, f"{KS2}/quiz/best", {"answer": "b"})
    second = submit(c, f"{KS2}/quiz/best", {"answer": "c"})
    page = c.get(second.location).get_data(as_text=True)
    assert "The answer is:" in page and "bluecarrotjumping" in page and "Next question" in page
    real_page(c.get(f"{KS2}/quiz/share"))


@pytest.mark.parametrize("data,message,kept", [
    ({"pos-0": "1", "pos-1": "1", "pos-2": "3"}, "Use each number from 1 to 3 once.",
     'value="3" selected'),
    ({"pos-0": "1", "pos-1": "", "pos-2": "2"}, "has no number yet", 'value="2" selected'),
    ({"pos-0": "9", "pos-1": "1", "pos-2": "2"}, "Give every step a number from 1 to 3",
     'value="1" selected'),
])
def test_malformed_order_answer_names_the_problem_and_keeps_the_choices(app, pupil_client,
                                                                         data, message, kept):
    c = pupil_client
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    for qid, answer in (("best", "a"), ("share", "false"), ("tf2", "true")):
        submit(c, f"{KS2}/quiz/{qid}", {"answer": answer})
    response = submit(c, f"{KS2}/quiz/order", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and kept in html
    assert rows(app, QuizAnswer, question_id="order") == []  # nothing recorded


def test_missing_choice_is_asked_for_again(pupil_client):
    c = pupil_client
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    response = submit(c, f"{KS2}/step/friend", {"choice": "z"})
    assert response.status_code == 400 and "Pick one of the choices." in response.get_data(
        as_text=True)
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    response = submit(c, f"{KS2}/quiz/best", {})
    assert response.status_code == 400 and "Choose one answer." in response.get_data(
        as_text=True)


def test_ks1_branching_scenario_and_sort_question(app):
    """Sam (KS1) takes the branch for a weak choice, then sorts items into groups."""
    from .test_auth import enable_device, sam, tap

    device = enable_device(app)
    tap(device, sam(app).id, ["cat", "sun", "tree"])
    submit(device, "/agreement")
    submit(device, f"{KS1}/step/meet")
    branch = submit(device, f"{KS1}/step/choose", {"choice": "c"})
    page = device.get(branch.location).get_data(as_text=True)
    assert "Worries are not secrets." in page and f'href="{KS1}/step/secret-help"' in page
    assert submit(device, f"{KS1}/step/secret-help").location.endswith("/step/grandad")
    assert submit(device, f"{KS1}/step/grandad").location.endswith("/quiz/scary")
    submit(device, f"{KS1}/quiz/scary", {"answer": "a"})
    submit(device, f"{KS1}/quiz/secret", {"answer": "false"})
    submit(device, f"{KS1}/quiz/steps", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})
    missing = submit(device, f"{KS1}/quiz/sorting", {"item-a": "safe"})
    assert missing.status_code == 400
    assert "Choose a group for “Buying a game.”" in missing.get_data(as_text=True)
    assert 'value="safe" checked' in missing.get_data(as_text=True)
    wrong = submit(device, f"{KS1}/quiz/sorting", {"item-a": "safe", "item-b": "safe",
                                                    "item-c": "safe"})
    assert "Buying costs money." in device.get(wrong.location).get_data(as_text=True)
    right = submit(device, f"{KS1}/quiz/sorting", {"item-a": "safe", "item-b": "ask",
                                                    "item-c": "safe"})
    assert "That's right!" in device.get(right.location).get_data(as_text=True)
    page = device.get(f"{KS1}/done").get_data(as_text=True)
    # KS1 help box: Childline too, and the school's lead by name
    assert "Who can help" in page and "0800 1111" in page and "Mrs Lindqvist" in page
    answers = rows(app, QuizAnswer, question_id="sorting")
    assert [a.correct for a in answers] == [False, True]
    assert answers[0].misconception == "all-ask"
    assert answers[0].answer == {"groups": {"a": "safe", "b": "safe", "c": "safe"}}


def test_feedback_for_an_answer_belongs_to_its_owner(app, pupil_client):
    c = pupil_client
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    r = submit(c, f"{KS2}/quiz/best", {"answer": "b"})
    answer_id = r.location.rsplit("=", 1)[1]
    other = app.test_client()
    sign_in(other, "pupil")
    page = other.get(f"{KS2}/quiz/best?answer={int(answer_id) + 99}").get_data(as_text=True)
    assert "Not quite." not in page


def test_class_progress_uses_a_fixed_number_of_queries(app, client):
    sign_in(client, "teacher")
    with app.app_context():
        from app.models import SchoolClass

        cid = db.session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == "Year 5 Kestrels"))

    def count_queries() -> int:
        counter = {"n": 0}

        def before(*args, **kwargs):
            counter["n"] += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            real_page(client.get(f"/staff/classes/{cid}"))
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return counter["n"]

    client.get(f"/staff/classes/{cid}")  # warm-up: the first page checks the agreement
    small = count_queries()
    with app.app_context():
        from app.demo import add_pupils
        from app.models import SchoolClass

        add_pupils(db.session.get(SchoolClass, cid), 22, "Extra")
        db.session.commit()
    assert count_queries() == small
    html = client.get(f"/staff/classes/{cid}").get_data(as_text=True)
    assert "Extra21 Z." in html and "Alex P." in html


def finish_ks2_fixture_lesson(c) -> None:
    for step in ("intro", "words"):
        submit(c, f"{KS2}/step/{step}")
    submit(c, f"{KS2}/step/friend", {"choice": "a"})
    submit(c, f"{KS2}/step/end")
    for qid, data in (("best", {"answer": "a"}), ("share", {"answer": "false"}),
                      ("tf2", {"answer": "true"}),
                      ("order", {"pos-0": "1", "pos-1": "2", "pos-2": "3"})):
        submit(c, f"{KS2}/quiz/{qid}", data)
    real_page(c.get(f"{KS2}/done"))


def test_badges_and_a_printable_certificate_for_a_finished_block(pupil_client):
    c = pupil_client
    page = c.get("/learn/badges").get_data(as_text=True)
    assert "Smart and safe online" in page and "0 of 1 lessons finished." in page
    assert "Finish a lesson to get your first badge." in page
    assert c.get("/learn/certificate/lower-ks2").status_code == 404
    finish_ks2_fixture_lesson(c)
    page = c.get("/learn/badges").get_data(as_text=True)
    assert "1 of 1 lessons finished." in page and "Strong passwords" in page
    cert = c.get("/learn/certificate/lower-ks2")
    html = cert.get_data(as_text=True)
    assert cert.status_code == 200 and "Alex P." in html and "Smart and safe online" in html
    assert "Demo Primary" in html
    assert c.get("/learn/certificate/no-such-block").status_code == 404


@pytest.mark.parametrize("url", ["/learn/", "/learn/badges", f"{KS2}/step/intro"])
def test_no_pressure_no_leaderboards_streaks_or_timers(pupil_client, url):
    html = pupil_client.get(url).get_data(as_text=True).lower()
    for word in ("leaderboard", "streak", "timer", "countdown", "rank"):
        assert word not in html


def test_progress_and_answers_from_an_older_version_of_a_lesson_do_not_break(app, pupil_client):
    """Content may be rewritten after pupils started: old positions and answers are handled."""
    c = pupil_client
    submit(c, f"{KS2}/step/intro")
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).join(User).where(User.username == "pupil"))
        row = db.session.scalar(select(LessonProgress).where(
            LessonProgress.pupil_id == pupil.id))
        row.current = "step:a-step-that-was-removed"
        row.step_reached = 99
        db.session.add(QuizAnswer(school_id=pupil.school_id, pupil_id=pupil.id,
                                  lesson_slug="fixture-passwords",
                                  question_id="order", answer={"order": [7, 8]}, correct=False))
        db.session.commit()
        answer_id = db.session.scalar(select(QuizAnswer.id).where(
            QuizAnswer.pupil_id == pupil.id))
    assert c.get(f"{KS2}/").location.endswith("/step/intro")
    page = c.get(f"{KS2}/quiz/order?answer={answer_id}")
    assert page.status_code == 200 and "Not quite." in page.get_data(as_text=True)


@pytest.mark.parametrize("lines, correct, shown", [
    (["That's right. It is not your fault."], True, ["It is not your fault."]),
    (["That's right! Telling helps."], True, ["Telling helps."]),
    (["Not quite. Telling helps.", "Second line."], False, ["Telling helps.", "Second line."]),
    (["That's right."], True, ["That's right."]),  # nothing else to say: kept
    (["Not quite right, because it can be changed."], False,
     ["Not quite right, because it can be changed."]),  # different words: kept
    (["Not quite. Wrong title for a right answer."], True,
     ["Not quite. Wrong title for a right answer."]),
    (["Yes. Well done."], True, ["Yes. Well done."]),
    ([], False, []),
])
def test_feedback_does_not_repeat_the_title_above_it(lines, correct, shown):
    from app.learn.quiz import without_title

    assert without_title(lines, correct) == shown


def test_no_feedback_in_the_course_repeats_its_title_once_shown():
    """Across the real course: what a pupil sees under "That's right!" or "Not quite." never
    starts with the same words again."""
    from app.content import load_catalogue
    from app.learn.quiz import FEEDBACK_TITLES, without_title

    from .conftest import REPO

    texts = 0
    for lesson in load_catalogue(REPO).lessons.values():
        for q in lesson.quiz.questions:
            for correct, text in _feedback_texts(q):
                if not text:
                    continue
                texts += 1
                shown = without_title([text], correct)[0]
                if shown.startswith(FEEDBACK_TITLES[correct]):  # only a bare title is kept
                    assert shown.strip() in FEEDBACK_TITLES[correct], (lesson.slug, q.id, text)
    assert texts > 300


def _feedback_texts(q):
    if q.type == "choice":
        return [(o.correct, o.feedback) for o in q.options]
    if q.type == "true_false":
        return [(q.answer is True, q.feedback_true), (q.answer is False, q.feedback_false)]
    if q.type == "order":
        return [(True, q.feedback_right), (False, q.feedback_wrong)]
    return [(True, i.feedback) for i in q.sort_items]
