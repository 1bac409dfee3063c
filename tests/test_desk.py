"""The lead's desk over HTTP: what matters first, filters and pages at a fixed query count,
actions with owners and due dates, telling the referrer and the child, linked records."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from itertools import count as counter

import pytest
from sqlalchemy import event, func, insert, select

from app.db import db, utcnow
from app.models import (
    AuditEvent,
    OutboxEmail,
    Pupil,
    School,
    StaffRole,
    TransferRecord,
    User,
    Worry,
    WorryEntry,
)
from app.schooltime import today
from app.worries import desk

from .helpers import sign_in, submit
from .test_worries import report

_tokens = counter()


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def pupil_named(first: str) -> Pupil:
    return db.session.scalar(select(Pupil).where(Pupil.first_name == first))


def add_worry(source="pupil", first="Alex", kind="unkind", hours_ago=0.0, talk=None,
              feeling=None, words=None, entries=(), about="me", school_id=None) -> int:
    """A worry straight into the database (inside an app context), with entries
    (kind, values) by the demo lead."""
    pupil = pupil_named(first)
    raised_by = pupil.user_id if source == "pupil" else user_id("teacher")
    at = utcnow() - timedelta(hours=hours_ago)
    wid = db.session.execute(insert(Worry.__table__).values(
        school_id=school_id or pupil.school_id, source=source, raised_by_id=raised_by,
        about_pupil_id=pupil.id if about == "me" or source == "staff" else None, kind=kind,
        about=about, feeling=feeling, wants_to_talk=talk, words=words,
        client_token=f"t{next(_tokens):031d}", created_at=at)
        .returning(Worry.__table__.c.id)).scalar_one()
    lead = user_id("dsl")
    for i, (entry_kind, values) in enumerate(entries):
        db.session.add(WorryEntry(school_id=pupil.school_id, worry_id=wid, author_id=lead,
                                  kind=entry_kind, created_at=at + timedelta(minutes=i + 1),
                                  **values))
    db.session.commit()
    return wid


def listed(html: str) -> list[int]:
    """The worry ids of the inbox rows, in order."""
    table = html.split('<table class="table inbox">')[1] if "table inbox" in html else ""
    return [int(i) for i in re.findall(r'href="/safeguarding/worries/(\d+)"', table)]


@pytest.fixture
def lead(app):
    c = app.test_client()
    sign_in(c, "dsl")
    return c


READ = ("read", {})
CLOSED = ("status", {"status": "closed", "text": "done"})


@pytest.fixture
def desk_worries(app):
    with app.app_context():
        ids = {
            "read_high": add_worry(hours_ago=5, feeling="sad",
                                   entries=[READ, ("urgency", {"urgency": "high",
                                                               "text": "x"})]),
            "unread_no_talk": add_worry(hours_ago=2, talk=False, words="secret words one"),
            "staff_sam": add_worry(source="staff", first="Sam", kind="upsetting", hours_ago=1,
                                   words="teacher saw this"),
            "unread_talk": add_worry(hours_ago=30, talk=True, feeling="scared",
                                     kind="stranger"),
            "closed_high": add_worry(first="Priya", hours_ago=3, entries=[
                READ, ("urgency", {"urgency": "high", "text": "x"}), CLOSED]),
        }
    return ids


def test_inbox_unread_first_then_urgency_talk_today_first_and_no_words(app, lead,
                                                                        desk_worries):
    html = lead.get("/safeguarding/").get_data(as_text=True)
    ids = desk_worries
    assert listed(html) == [ids["unread_talk"], ids["staff_sam"], ids["unread_no_talk"],
                            ids["read_high"], ids["closed_high"]]
    row = html.split(f'/safeguarding/worries/{ids["unread_talk"]}"')[1].split("</tr>")[0]
    assert "Alex P." in row and "Year 5 Kestrels" in row and "Wants to talk today" in row
    assert "Scared" in row and "Pupil" in row
    sam = html.split(f'/safeguarding/worries/{ids["staff_sam"]}"')[1].split("</tr>")[0]
    assert "Sam K." in sam and "Year 2 Robins" in sam and "Staff concern" in sam
    assert "today" in html or "yesterday" in html
    for words in ("secret words one", "teacher saw this"):
        assert words not in html


@pytest.mark.parametrize("query,expected", [
    ("status=closed", ["closed_high"]),
    ("urgency=high", ["read_high", "closed_high"]),
    ("urgency=none", ["unread_talk", "staff_sam", "unread_no_talk"]),
    ("kind=stranger", ["unread_talk"]),
    ("source=staff", ["staff_sam"]),
    ("q=sam", ["staff_sam"]),
    ("q=PRIYA", ["closed_high"]),
    ("status=open&q=alex", ["unread_talk", "unread_no_talk", "read_high"]),
])
def test_inbox_filters_and_search(app, lead, desk_worries, query, expected):
    html = lead.get(f"/safeguarding/?{query}").get_data(as_text=True)
    assert listed(html) == [desk_worries[k] for k in expected]
    assert "Clear the filters" in html


def test_inbox_filters_by_class_and_pupil(app, lead, desk_worries):
    with app.app_context():
        sam = pupil_named("Sam")
        class_id, sam_id = sam.class_id, sam.id
    assert listed(lead.get(f"/safeguarding/?class_id={class_id}").get_data(as_text=True)) == [
        desk_worries["staff_sam"]]
    assert listed(lead.get(f"/safeguarding/?pupil_id={sam_id}").get_data(as_text=True)) == [
        desk_worries["staff_sam"]]


@pytest.mark.parametrize("query", ["status=bogus", "class_id=abc", "pupil_id=999999",
                                   "urgency=%3Cscript%3E", "page=-4", "page=zz"])
def test_a_bad_filter_is_named_and_left_out(app, lead, desk_worries, query):
    r = lead.get(f"/safeguarding/?{query}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and len(listed(html)) == 5
    if not query.startswith("page"):
        assert "is not in the list, so it was left out." in html
    assert "<script>" not in html


def test_inbox_pages_of_fifty_and_a_page_past_the_end_shows_the_last(app, lead):
    with app.app_context():
        rows = [{"school_id": 1, "source": "pupil", "raised_by_id": user_id("pupil"),
                 "kind": "other", "client_token": f"p{i:031d}",
                 "created_at": utcnow() - timedelta(minutes=i)} for i in range(120)]
        db.session.execute(insert(Worry.__table__), rows)
        db.session.commit()
    first = lead.get("/safeguarding/").get_data(as_text=True)
    assert len(listed(first)) == 50 and "Page 1 of 3 (120 in all)" in first
    assert 'href="/safeguarding/?page=2"' in first
    last = lead.get("/safeguarding/?page=99").get_data(as_text=True)
    assert len(listed(last)) == 20 and "Page 3 of 3" in last
    kept = lead.get("/safeguarding/?kind=other&page=2").get_data(as_text=True)
    assert "kind=other" in kept.split('rel="next"')[0].rsplit("<a", 1)[1]


# --- a fixed number of queries whatever the number of records ----------------------------------


@contextmanager
def queries(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_records(app, n: int) -> None:
    """n worries about Alex (half read and closed, each with an action) and n audit events."""
    with app.app_context():
        alex = pupil_named("Alex")
        lead = user_id("dsl")
        worries = [{"school_id": 1, "source": "pupil", "raised_by_id": alex.user_id,
                    "about_pupil_id": alex.id, "about": "me", "kind": "unkind",
                    "client_token": f"q{n}-{i:028d}", "wants_to_talk": i % 3 == 0,
                    "created_at": utcnow() - timedelta(hours=i)} for i in range(n)]
        ids = list(db.session.scalars(insert(Worry.__table__).returning(Worry.__table__.c.id),
                                      worries))
        entries = []
        blank = {"action": None, "due_on": None, "owner_id": None, "status": None,
                 "text": None, "no_further_action": False, "created_at": utcnow(),
                 "school_id": 1, "author_id": lead}
        for i, wid in enumerate(ids):
            entries.append({**blank, "worry_id": wid, "kind": "action", "action": "monitoring",
                            "due_on": today() - timedelta(days=1), "owner_id": lead})
            if i % 2:
                for kind, values in (READ, CLOSED):
                    entries.append({**blank, "worry_id": wid, "kind": kind, **values})
        db.session.execute(insert(WorryEntry.__table__), entries)
        db.session.execute(insert(AuditEvent.__table__), [
            {"school_id": 1, "user_id": lead, "action": "view", "target": f"worry {i}",
             "created_at": utcnow()} for i in range(n)])
        db.session.commit()


def test_desk_lists_run_the_same_queries_with_10_and_1000_records(make_app):
    app = make_app(SAFEGUARDING_RETENTION_AGE=5)  # so the retention report lists pupils
    lead = app.test_client()
    sign_in(lead, "dsl")
    with app.app_context():
        alex = pupil_named("Alex").id
    urls = ["/safeguarding/", "/safeguarding/?status=open&q=alex", "/safeguarding/audit",
            f"/safeguarding/pupils/{alex}", "/safeguarding/retention", "/safeguarding/report",
            "/"]
    measured = {}
    for total in (10, 1000):
        add_records(app, total - (10 if total == 1000 else 0))
        for url in urls:
            lead.get(url)  # warm: the session and the statement cache
            with queries(app) as seen:
                response = lead.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            measured.setdefault(url, []).append(len(seen))
    for url, (small, big) in measured.items():
        assert small == big, (url, small, big)
    page = lead.get("/safeguarding/").get_data(as_text=True)
    assert "Page 1 of 20 (1000 in all)" in page
    chronology = lead.get(f"/safeguarding/pupils/{alex}").get_data(as_text=True)
    assert "Page 1 of 30 (3000 in all)" in chronology


# --- actions with an owner and a date -----------------------------------------------------------


def make_deputy_email(app) -> None:
    with app.app_context():
        deputy = db.session.scalar(select(User).where(User.username == "deputylead"))
        deputy.email = "deputy@demo-primary.example"
        db.session.commit()


def test_assign_an_action_to_the_deputy_with_a_due_date(app, lead):
    with app.app_context():
        wid = add_worry(talk=True)
        deputy = user_id("deputylead")
        on = today()
    url = f"/safeguarding/worries/{wid}"
    due = (on + timedelta(days=2)).isoformat()
    ok = submit(lead, url, {"entry": "action", "action": "spoke-with-child",
                            "owner": str(deputy), "due_on": due,
                            "happened_at": f"{on.isoformat()}T00:01",
                            "text": "Check in after lunch"})
    assert ok.status_code == 302
    page = lead.get(url).get_data(as_text=True)
    assert "owner Mr Okafor" in page and "due " in page and "overdue" not in page
    with app.app_context():
        action = db.session.scalar(select(WorryEntry).where(WorryEntry.kind == "action"))
        assert (action.owner_id, action.due_on.isoformat()) == (deputy, due)
        assert action.happened_at is not None
        audit = db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.detail.like("action recorded%")))
        assert audit == f"action recorded: Spoke with the child, due {due}"


@pytest.mark.parametrize("change,message", [
    ({"owner": "teacher"}, "Choose a lead or deputy lead as the owner"),
    ({"due_on": "yesterday"}, "The due date is in the past"),
    ({"due_on": "2026-02-30"}, "Not a valid date value."),
    ({"happened_at": "2099-01-01T10:00"}, "That date and time is in the future."),
    ({"action": "ice-cream"}, "Choose the action taken from the list."),
])
def test_bad_action_input_is_named_keeps_what_was_typed_and_saves_nothing(app, lead, change,
                                                                         message):
    with app.app_context():
        wid = add_worry()
        values = {"teacher": str(user_id("teacher")),
                  "yesterday": (today() - timedelta(days=1)).isoformat()}
        tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {"entry": "action", "action": "monitoring", "text": "Kept text 123",
            "due_on": tomorrow}
    data.update({k: values.get(v, v) for k, v in change.items()})
    url = f"/safeguarding/worries/{wid}"
    lead.get(url)
    with app.app_context():
        before = db.session.scalar(select(func.count(WorryEntry.id)))
    r = submit(lead, url, data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and "Kept text 123" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(WorryEntry.id))) == before


def test_overdue_actions_are_flagged_reminded_without_content_and_cleared_when_done(
        make_app):
    from .smtp import SMTPServer

    smtp = SMTPServer().start()
    try:
        app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                       PUBLIC_URL="https://school.test")
        make_deputy_email(app)
        with app.app_context():
            deputy = user_id("deputylead")
            wid = add_worry(words="my secret words", entries=[READ, ("action", {
                "action": "spoke-with-child", "text": "private note", "owner_id": deputy,
                "due_on": today() - timedelta(days=2)})])
        lead = app.test_client()
        sign_in(lead, "dsl")
        inbox = lead.get("/safeguarding/").get_data(as_text=True)
        assert "1 overdue action" in inbox
        home = lead.get("/", follow_redirects=True).get_data(as_text=True)
        assert "Overdue actions" in home and "Spoke with the child" in home
        assert "Mr Okafor" in home and "Alex" not in home and "private note" not in home
        page = lead.get(f"/safeguarding/worries/{wid}").get_data(as_text=True)
        assert "1 overdue action" in page and "<strong class=\"flag\">overdue</strong>" in page
        with app.app_context():
            assert desk.enqueue_action_reminders() == 1
            assert desk.enqueue_action_reminders() == 0  # once a day
            db.session.commit()
        out = app.test_cli_runner().invoke(args=["send-outbox"]).output
        assert "Sent 1, failed 0" in out
        message = smtp.messages[-1]
        assert message["To"] == "deputy@demo-primary.example"
        assert message["Subject"] == "Reminder: a safeguarding action is overdue"
        body = message.get_payload()
        assert f"https://school.test/safeguarding/worries/{wid}" in body
        for leak in ("Alex", "secret", "private note", "Spoke with the child", "unkind"):
            assert leak not in body and leak not in message["Subject"]
        with app.app_context():
            action = db.session.scalar(select(WorryEntry.id).where(
                WorryEntry.kind == "action"))
        done = submit(lead, f"/safeguarding/worries/{wid}",
                      {"entry": "done", "done": str(action), "text": "Talked at lunch"})
        assert done.status_code == 302
        assert "overdue action" not in lead.get("/safeguarding/").get_data(as_text=True)
        with app.app_context():
            assert desk.enqueue_action_reminders() == 0
    finally:
        smtp.stop()


def test_the_correction_picker_shows_each_entrys_text_and_time(app, lead):
    with app.app_context():
        wid = add_worry(entries=[READ, ("action", {"action": "monitoring",
                                                   "text": "Talked at break; child is OK"})])
        entry = db.session.scalar(select(WorryEntry).where(WorryEntry.kind == "action"))
        from app.schooltime import format_time

        shown = f"#{entry.id} · {format_time(entry.created_at)} · Action: Monitoring — " \
                "Talked at break; child is OK"
    page = lead.get(f"/safeguarding/worries/{wid}").get_data(as_text=True)
    assert shown in page.replace("&#39;", "'")
    r = submit(lead, f"/safeguarding/worries/{wid}",
               {"entry": "correction", "corrects": "", "text": "wrong"})
    assert r.status_code == 400 and "Choose the entry you are correcting." in r.get_data(
        as_text=True)


# --- telling the referrer and the child ---------------------------------------------------------


def test_the_teacher_sees_status_and_the_shared_outcome_line_never_the_record(app, lead):
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    with app.app_context():
        sam = pupil_named("Sam").id
    assert submit(teacher, "/safeguarding/concern", {
        "pupil": str(sam), "kind": "upsetting", "words": "Sam upset by a video",
        "occurred_at": ""}).status_code == 302
    assert "Received" in teacher.get("/safeguarding/concerns/mine").get_data(as_text=True)
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    url = f"/safeguarding/worries/{wid}"
    lead.get(url)
    assert "Being looked at" in teacher.get("/safeguarding/concerns/mine").get_data(
        as_text=True)
    too_long = submit(lead, url, {"entry": "share", "text": "x" * 201})
    assert too_long.status_code == 400 and "under 200 characters" in too_long.get_data(
        as_text=True)
    assert submit(lead, url, {"entry": "action", "action": "informed-parents",
                              "text": "Private: mum called"}).status_code == 302
    assert submit(lead, url, {"entry": "share",
                              "text": "Parents informed; Sam is OK."}).status_code == 302
    assert submit(lead, url, {"entry": "status", "status": "closed",
                              "text": "Closed after call"}).status_code == 302
    mine = teacher.get("/safeguarding/concerns/mine").get_data(as_text=True)
    assert "Closed" in mine and "Parents informed; Sam is OK." in mine
    assert "Private: mum called" not in mine and "Closed after call" not in mine


def test_the_child_sees_status_in_child_words_and_a_kind_reply_from_the_list(app, lead):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    assert report(pupil, words="help me").status_code == 302
    assert "A grown-up will read it soon." in pupil.get("/worry/mine").get_data(as_text=True)
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    url = f"/safeguarding/worries/{wid}"
    page = lead.get(url).get_data(as_text=True)
    assert "Mrs Lindqvist will come and find you today." in page
    assert "A grown-up has read it and is helping." in pupil.get("/worry/mine").get_data(
        as_text=True)
    with app.app_context():
        before = db.session.scalar(select(func.count(WorryEntry.id)))
    bad = submit(lead, url, {"entry": "reply", "reply": "You are in trouble"})
    assert bad.status_code == 400 and "Choose a reply from the list." in bad.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(WorryEntry.id))) == before
    assert submit(lead, url, {"entry": "reply", "reply": "find-you-today"}).status_code == 302
    assert submit(lead, url, {"entry": "status", "status": "closed",
                              "text": "Spoke with Alex"}).status_code == 302
    mine = pupil.get("/worry/mine").get_data(as_text=True)
    assert "Mrs Lindqvist will come and find you today." in mine
    assert "The grown-ups have finished helping with this." in mine
    assert "Spoke with Alex" not in mine


# --- one case: linked records -------------------------------------------------------------------


def test_link_a_worry_and_a_concern_into_one_case_and_not_across_schools(app, lead):
    with app.app_context():
        worry = add_worry(talk=True)
        concern = add_worry(source="staff", first="Sam")
        other_school = School(name="Other Primary", slug="other")
        db.session.add(other_school)
        db.session.commit()
        elsewhere = add_worry(school_id=other_school.id)
    url = f"/safeguarding/worries/{worry}"
    page = lead.get(url).get_data(as_text=True)
    assert f'<option value="{concern}">' in page and f'value="{elsewhere}"' not in page
    with app.app_context():
        before = db.session.scalar(select(func.count(WorryEntry.id)))
    for bad in (elsewhere, worry, 999999):
        r = submit(lead, url, {"entry": "link", "linked": str(bad)})
        assert r.status_code == 400, bad
        assert "Choose a worry or concern of this school to link." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(WorryEntry.id))) == before
    assert submit(lead, url, {"entry": "link", "linked": str(concern)}).status_code == 302
    again = submit(lead, f"/safeguarding/worries/{concern}",
                   {"entry": "link", "linked": str(worry)})
    assert again.status_code == 400
    # both records show the case; each pupil's chronology shows the link
    assert f"/safeguarding/worries/{concern}" in lead.get(url).get_data(as_text=True)
    other_page = lead.get(f"/safeguarding/worries/{concern}").get_data(as_text=True)
    assert f'href="/safeguarding/worries/{worry}"' in other_page
    with app.app_context():
        alex = pupil_named("Alex").id
    chron = lead.get(f"/safeguarding/pupils/{alex}").get_data(as_text=True)
    assert f"Linked with record #{concern}" in chron


def test_a_deputy_lead_reads_and_acts_like_the_lead(app):
    with app.app_context():
        wid = add_worry()
        assert db.session.scalar(select(StaffRole.role).join(User).where(
            User.username == "deputylead")) == "deputy_lead"
    deputy = app.test_client()
    sign_in(deputy, "deputylead")
    assert listed(deputy.get("/safeguarding/").get_data(as_text=True)) == [wid]
    assert submit(deputy, f"/safeguarding/worries/{wid}", {
        "entry": "urgency", "urgency": "low", "text": "Minor"}).status_code == 302
    home = deputy.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Safeguarding desk" in home
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


# --- a lead away: alerts to the deputies ----------------------------------------------------


def test_a_lead_away_sends_alerts_to_the_deputy_and_back_again(app, lead):
    make_deputy_email(app)
    with app.app_context():
        on = today()
    bad = submit(lead, "/safeguarding/away", {
        "starts_on": on.isoformat(), "ends_on": (on - timedelta(days=1)).isoformat()})
    assert bad.status_code == 400 and "The last day away is in the past." in bad.get_data(
        as_text=True)
    ok = submit(lead, "/safeguarding/away", {
        "starts_on": on.isoformat(), "ends_on": (on + timedelta(days=3)).isoformat()})
    assert ok.status_code == 302
    assert "You are marked away" in lead.get("/safeguarding/away").get_data(as_text=True)
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    report(pupil)
    with app.app_context():
        to = list(db.session.scalars(select(OutboxEmail.to_address)))
        assert to == ["deputy@demo-primary.example"]
        assert db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.target == "lead away")).startswith("away ")
    back = submit(lead, "/safeguarding/away", {"back-submit": "1"})
    assert back.status_code == 302
    with app.app_context():
        from app.worries.service import lead_emails

        assert sorted(lead_emails(1)) == ["deputy@demo-primary.example",
                                          "dsl@demo-primary.example"]


def test_when_every_lead_is_away_every_lead_is_still_alerted(app, lead):
    with app.app_context():
        on = today()
    submit(lead, "/safeguarding/away", {"starts_on": on.isoformat(),
                                        "ends_on": on.isoformat()})
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    report(pupil)
    with app.app_context():
        assert list(db.session.scalars(select(OutboxEmail.to_address))) == [
            "dsl@demo-primary.example"]  # the demo deputy has no email: the lead still hears


# --- the report for governors ---------------------------------------------------------------


def test_governors_report_counts_suppresses_small_numbers_prints_and_exports(app, lead):
    with app.app_context():
        for i in range(6):
            add_worry(kind="unkind", hours_ago=i, entries=[READ, CLOSED])
        add_worry(source="staff", first="Sam", kind="upsetting", hours_ago=1)
    page = lead.get("/safeguarding/report").get_data(as_text=True)
    assert "Safeguarding report for leaders and governors" in page
    assert "<dt>Worries and concerns raised</dt><dd>7</dd>" in page
    assert "<td>Someone was unkind</td><td>6</td>" in page
    assert "<td>I saw something that upset me</td><td>fewer than 5</td>" in page
    assert "<td>Year 2 Robins</td><td>fewer than 5</td>" in page
    assert "Alex" not in page and "Sam K" not in page
    printable = lead.get("/safeguarding/report?print=1").get_data(as_text=True)
    assert 'class="printable"' in printable or "printable" in printable
    csv_text = lead.get("/safeguarding/report.csv").get_data(as_text=True)
    assert "kind,Someone was unkind,6" in csv_text
    assert "kind,I saw something that upset me,fewer than 5" in csv_text
    bad = lead.get("/safeguarding/report?from=yesterday", follow_redirects=True)
    assert bad.status_code == 200 and "not in the form 2026-09-01" in bad.get_data(as_text=True)
    with app.app_context():
        details = set(db.session.scalars(select(AuditEvent.target).where(
            AuditEvent.target == "governors report")))
        assert details == {"governors report"}


# --- transfer when a child moves school -----------------------------------------------------


def test_transfer_package_needs_a_leaving_date_then_hands_over_and_is_received(app, lead):
    import json

    with app.app_context():
        alex = pupil_named("Alex")
        alex_id = alex.id
        add_worry(words="first worry", entries=[READ, CLOSED])
    url = f"/safeguarding/pupils/{alex_id}/transfer"
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(TransferRecord))
    refused = submit(lead, url, {"step": "package", "receiving_school": "Hill Top Primary",
                                 "leaving_on": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Alex P. is still on roll with no leaving date: give the day they leave." in html
    assert "Hill Top Primary" in html  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransferRecord)) == before
        leaving = today() + timedelta(days=3)
    made = submit(lead, url, {"step": "package", "receiving_school": "Hill Top Primary",
                              "leaving_on": leaving.isoformat()})
    assert made.status_code == 302
    with app.app_context():
        package = db.session.scalar(select(TransferRecord))
        from app.worries.transfer import school_days_after

        deadline = school_days_after(leaving)
        assert deadline.weekday() < 5 and (deadline - leaving).days >= 5
    page = lead.get(url).get_data(as_text=True)
    assert package.checksum in page and "Deadline (5 school days)" in page
    data = json.loads(lead.get(f"{url}/{package.id}.json").get_data(as_text=True))
    assert data["checksum"]["value"] == package.checksum == data["checksum"]["at_handover"]
    assert data["to_school"] == "Hill Top Primary" and len(data["entries"]) == 3
    assert any(e.get("words") == "first worry" for e in data["entries"])
    import hashlib

    recomputed = hashlib.sha256(json.dumps(data["entries"], sort_keys=True,
                                           separators=(",", ":"), ensure_ascii=False)
                                .encode()).hexdigest()
    assert recomputed == package.checksum  # the receiving school can check it
    printable = lead.get(f"{url}/{package.id}").get_data(as_text=True)
    assert "CONFIDENTIAL" in printable and "Hill Top Primary" in printable
    early = submit(lead, url, {"step": "receipt", "package": str(package.id),
                               "person": "Ms Dale"})
    assert early.status_code == 400 and "Record the handover before the receipt." in \
        early.get_data(as_text=True)
    no_method = submit(lead, url, {"step": "handover", "package": str(package.id),
                                   "method": "pigeon", "person": "Ms Dale"})
    assert no_method.status_code == 400 and "Choose how the file was handed over." in \
        no_method.get_data(as_text=True)
    assert submit(lead, url, {"step": "handover", "package": str(package.id),
                              "method": "by-hand", "person": "Ms Dale, DSL"}).status_code == 302
    assert submit(lead, url, {"step": "receipt", "package": str(package.id),
                              "person": "Ms Dale"}).status_code == 302
    page = lead.get(url).get_data(as_text=True)
    assert "By hand, signed for to Ms Dale, DSL" in page and "Confirmed by Ms Dale" in page
    with app.app_context():
        kinds = list(db.session.scalars(select(TransferRecord.kind).order_by(
            TransferRecord.id)))
        assert kinds == ["package", "handover", "receipt"]
        audits = list(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.target == f"pupil {alex_id} transfer")))
        assert any(d.startswith(f"package {package.id} for Hill Top Primary") for d in audits)
        assert f"receipt of package {package.id} recorded" in audits


def test_a_transfer_package_of_another_pupil_or_school_is_not_found(app, lead):
    with app.app_context():
        alex, sam = pupil_named("Alex").id, pupil_named("Sam").id
    submit(lead, f"/safeguarding/pupils/{alex}/transfer", {
        "step": "package", "receiving_school": "X", "leaving_on": "2030-01-01"})
    with app.app_context():
        package = db.session.scalar(select(TransferRecord.id))
    assert lead.get(f"/safeguarding/pupils/{sam}/transfer/{package}.json").status_code == 404
    r = submit(lead, f"/safeguarding/pupils/{sam}/transfer",
               {"step": "handover", "package": str(package), "method": "by-hand",
                "person": "Someone"})
    assert r.status_code == 404
