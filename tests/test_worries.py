"""Report a worry, end to end over HTTP: the pupil, staff, the lead, email, audit, records."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app.db import db, utcnow
from app.models import (
    AppendOnlyError,
    AuditEvent,
    OutboxEmail,
    Pupil,
    School,
    StaffRole,
    User,
    Worry,
    WorryEntry,
)
from app.worries import service

from .helpers import csrf_from, real_page, redirected, sign_in, submit
from .smtp import SMTPServer

WORRY_PAGE = "/safeguarding/worries/<id>"  # where each triage action returns


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


def report(client, kind="unkind", about="me", feeling="scared", words="", talk="yes",
           place="/learn/"):
    """The three steps as a pupil takes them; returns the final response."""
    page = client.get(f"/worry/?from={place}").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    common = {"csrf_token": csrf_from(page), "token": token, "from": place}
    r1 = client.post("/worry/", data={**common, "step": "1", "kind": kind})
    assert r1.status_code == 200 and "Step 2 of 3" in r1.get_data(as_text=True)
    r2 = client.post("/worry/", data={**common, "step": "2", "kind": kind, "about": about,
                                      "feeling": feeling, "words": words})
    assert r2.status_code == 200 and "Step 3 of 3" in r2.get_data(as_text=True)
    response = client.post("/worry/", data={**common, "step": "3", "kind": kind,
                                            "about": about, "feeling": feeling, "words": words,
                                            "talk": talk})
    return response


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def pupil(client):
    sign_in(client, "pupil")
    return client


@pytest.fixture
def lead(app):
    c = app.test_client()
    sign_in(c, "dsl")
    return c


def test_pupil_reports_a_worry_in_three_steps_and_is_told_what_happens_next(app, pupil):
    response = report(pupil, words="Someone in a game keeps being mean.", place="/learn/x/")
    assert response.status_code == 302 and "/worry/sent/" in response.location
    page = pupil.get(response.location).get_data(as_text=True)
    assert "Your worry was sent" in page and "Mrs Lindqvist will read it" in page
    assert "0800 1111" in page and "999" in page and "CEOP" in page  # KS2 sees CEOP
    with app.app_context():
        worry = db.session.scalar(select(Worry))
        alex = db.session.scalar(select(User).where(User.username == "pupil"))
        assert (worry.kind, worry.about, worry.feeling, worry.wants_to_talk) == (
            "unkind", "me", "scared", True)
        assert worry.about_pupil_id == alex.pupil.id and worry.place == "/learn/x/"
        assert worry.words == "Someone in a game keeps being mean."
    mine = pupil.get("/worry/mine").get_data(as_text=True)
    assert "Someone was unkind" in mine and "Sent" in mine and "has read it" not in mine


def test_every_pupil_page_has_the_worry_button_and_quick_hide(pupil):
    for url in ("/learn/", "/learn/fixture-passwords/step/intro", "/worry/mine"):
        html = pupil.get(url, follow_redirects=True).get_data(as_text=True)
        assert "Report a worry" in html and 'href="/worry/?from=' in html
        assert "data-quick-hide" in html and 'href="/hide"' in html
    hidden = pupil.get("/hide").get_data(as_text=True)
    assert "Times tables" in hidden and "worry" not in hidden.lower()


def test_form_says_not_to_send_pictures_and_has_no_upload(pupil):
    html = pupil.get("/worry/").get_data(as_text=True)
    assert "Please do not send pictures." in html
    assert 'type="file"' not in html and "multipart" not in html


def test_empty_worry_gently_asks_for_a_kind_and_the_kind_is_enough(app, pupil):
    page = pupil.get("/worry/").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    r = pupil.post("/worry/", data={"csrf_token": csrf_from(page), "token": token, "step": "1"})
    assert r.status_code == 400
    assert "Please tap the picture that is most like your worry." in r.get_data(as_text=True)
    assert count(app, Worry) == 0
    done = report(pupil, kind="other", about="", feeling="", words="", talk="no")
    assert done.status_code == 302 and count(app, Worry) == 1


def test_very_long_words_are_refused_with_the_limit_and_kept(app, pupil):
    page = pupil.get("/worry/").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    long = "a" * 1001
    r = pupil.post("/worry/", data={"csrf_token": csrf_from(page), "token": token, "step": "2",
                                    "kind": "unkind", "words": long})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "keep it under 1000" in html and long in html
    assert count(app, Worry) == 0


def test_the_same_form_sent_twice_is_stored_once(app, pupil):
    page = pupil.get("/worry/").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    data = {"csrf_token": csrf_from(page), "token": token, "step": "3", "kind": "upsetting",
            "talk": "yes"}
    first = pupil.post("/worry/", data=data)
    second = pupil.post("/worry/", data=data)
    assert first.location == second.location
    assert count(app, Worry) == 1


def test_if_saving_fails_the_pupil_is_told_to_tell_a_grown_up_now(app, pupil):
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE worries RENAME TO worries_elsewhere"))
    response = report(pupil)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Please tell a grown-up now" in html and "was sent" not in html


def test_alert_email_one_per_lead_with_no_worry_content(make_app, smtp):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, PUBLIC_URL="https://school.test")
    with app.app_context():  # a second lead, so each lead gets their own message
        school = db.session.scalar(select(School))
        deputy = User(school_id=school.id, kind="staff", username="deputy",
                      display_name="Mr Deputy", email="deputy@demo-primary.example")
        db.session.add(deputy)
        db.session.flush()
        db.session.add(StaffRole(user_id=deputy.id, role="safeguarding_lead"))
        db.session.commit()
    client = app.test_client()
    sign_in(client, "pupil")
    secret = "My uncle sends me strange messages"
    response = report(client, kind="stranger", words=secret)
    redirected(response, '/worry/sent/JQUO-<id>QH')
    assert smtp.messages == []  # never from the web request: the sender process sends it
    assert "Sent 2, failed 0" in app.test_cli_runner().invoke(args=["send-outbox"]).output
    assert sorted(m["To"] for m in smtp.messages) == ["deputy@demo-primary.example",
                                                      "dsl@demo-primary.example"]
    for message in smtp.messages:
        body = message.get_payload()
        # content-free by default: not even the kind (a school may opt in; test_hardening)
        assert "someone i don't know talked to me" not in body.lower()
        assert "https://school.test/safeguarding/worries/" in body
        for leak in (secret, "uncle", "Alex", "scared"):
            assert leak not in body and leak not in message["Subject"]
    with app.app_context():
        assert all(r.sent_at for r in db.session.scalars(select(OutboxEmail)))


def test_smtp_down_worry_saved_and_email_sent_once_server_is_back(make_app):
    smtp = SMTPServer()  # not started: nothing listens on its port
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)
    client = app.test_client()
    sign_in(client, "pupil")
    redirected(report(client), '/worry/sent/JQUO-<id>QH')
    lead = app.test_client()
    sign_in(lead, "dsl")
    assert "New:" in lead.get("/safeguarding/").get_data(as_text=True)
    assert "Sent 0, failed 1" in app.test_cli_runner().invoke(args=["send-outbox"]).output
    with app.app_context():
        row = db.session.scalar(select(OutboxEmail))
        assert row.sent_at is None and row.attempts == 1
        assert row.last_error == "ConnectionRefusedError"  # the class only, never an address
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the back-off has passed
        db.session.commit()
    smtp.start()
    try:
        out = app.test_cli_runner().invoke(args=["send-outbox"]).output
        assert "Sent 1, failed 0" in out
        assert len(smtp.messages) == 1
        again = app.test_cli_runner().invoke(args=["send-outbox"]).output
        assert "Sent 0" in again and len(smtp.messages) == 1  # exactly once
    finally:
        smtp.stop()


def test_unread_worry_triggers_a_reminder(make_app, smtp):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, WORRY_REMINDER_MINUTES=30)
    client = app.test_client()
    sign_in(client, "pupil")
    report(client)
    app.test_cli_runner().invoke(args=["send-outbox"])
    assert len(smtp.messages) == 1
    with app.app_context():
        assert service.enqueue_reminders() == 0  # too soon
        later = utcnow() + timedelta(minutes=31)
        assert service.enqueue_reminders(now=later) == 1
        assert service.enqueue_reminders(now=later) == 0  # not twice in one interval
        from app.worries.mail import deliver_outbox

        assert deliver_outbox(app) == (1, 0)
    assert smtp.messages[-1]["Subject"] == "Reminder: a worry has not been read yet"
    # once a lead has read it, no more reminders
    lead = app.test_client()
    sign_in(lead, "dsl")
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    real_page(lead.get(f"/safeguarding/worries/{wid}"))
    with app.app_context():
        assert service.enqueue_reminders(now=utcnow() + timedelta(hours=5)) == 0
    out = app.test_cli_runner().invoke(args=["worry-reminders"]).output
    assert "Queued 0 reminder(s)" in out


def test_lead_triages_to_closure_and_every_step_is_audited(app, pupil, lead):
    report(pupil, words="<script>alert('x')</script> help")
    inbox = lead.get("/safeguarding/").get_data(as_text=True)
    assert "New:" in inbox and 'class="count-badge">1' in inbox
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    url = f"/safeguarding/worries/{wid}"
    page = lead.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; help" in page
    assert "<script>alert" not in page
    assert "Marked as read" in page
    assert 'class="count-badge"' not in lead.get("/safeguarding/").get_data(as_text=True)
    assert "A grown-up has read it" in pupil.get("/worry/mine").get_data(as_text=True)

    bad = submit(lead, url, {"entry": "urgency", "urgency": "high", "text": ""})
    assert bad.status_code == 400 and "Give a reason for the urgency." in bad.get_data(
        as_text=True)
    redirected(submit(lead, url, {"entry": "urgency", "urgency": "high",
                                  "text": "Contact from an adult"}), WORRY_PAGE)
    redirected(submit(lead, url, {"entry": "action", "action": "spoke-with-child",
                                  "text": "Talked at break; child is OK"}), WORRY_PAGE)
    redirected(submit(lead, url, {"entry": "action", "action": "ceop-report",
                                  "text": ""}), WORRY_PAGE)
    refused = submit(lead, url, {"entry": "status", "status": "closed", "text": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "A closing note is required to close a worry." in html
    redirected(submit(lead, url, {"entry": "status", "status": "monitoring",
                                  "text": "Watching for a week"}), WORRY_PAGE)
    redirected(submit(lead, url, {"entry": "status", "status": "closed",
                                  "text": "Resolved with parents"}), WORRY_PAGE)
    with app.app_context():
        entries = list(db.session.scalars(select(WorryEntry).order_by(WorryEntry.id)))
        assert [e.kind for e in entries] == ["read", "urgency", "action", "action", "status",
                                             "status"]
        first_action = entries[2].id
    fix = submit(lead, url, {"entry": "correction", "corrects": str(first_action),
                             "text": "It was at lunch, not break (wrote the wrong time)."})
    redirected(fix, '/safeguarding/worries/<id>')
    page = lead.get(url).get_data(as_text=True)
    assert f"Correction to <a href=\"#entry-{first_action}\">" in page
    assert "Talked at break; child is OK" in page  # the original stays
    assert "Status: <strong>Closed</strong>" in page
    # the pupil never sees staff notes
    mine = pupil.get("/worry/mine").get_data(as_text=True)
    assert "Resolved with parents" not in mine and "CEOP" not in mine

    audit = lead.get("/safeguarding/audit").get_data(as_text=True)
    for detail in ("marked as read", "urgency set to high", "action recorded: Spoke with the child",
                   "action recorded: CEOP report", "status set to monitoring",
                   "status set to closed", f"correction of entry {first_action}"):
        assert detail in audit, detail
    with app.app_context():
        views = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "view", AuditEvent.target == f"worry {wid}"))
        assert views >= 2
        assert db.session.scalar(select(AuditEvent.ip).limit(1)) == "127.0.0.1"


def test_no_further_action_needs_a_reason(app, pupil, lead):
    report(pupil)
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    url = f"/safeguarding/worries/{wid}"
    r = submit(lead, url, {"entry": "status", "status": "open", "no_further_action": "yes"})
    assert r.status_code == 400 and "Give the reason for no further action." in r.get_data(
        as_text=True)
    ok = submit(lead, url, {"entry": "status", "status": "open", "no_further_action": "yes",
                            "text": "Misunderstanding between friends, sorted in class"})
    redirected(ok, '/safeguarding/worries/<id>')
    assert "(no further action)" in lead.get("/safeguarding/").get_data(as_text=True)


@pytest.mark.parametrize("data,field_message", [
    ({"entry": "urgency", "urgency": "extreme", "text": "x"}, "Choose an urgency"),
    ({"entry": "action", "action": "", "text": "x"}, "Choose the action taken from the list."),
    ({"entry": "action", "action": "other", "text": ""}, "Say what the other action was."),
    ({"entry": "status", "status": "open", "text": ""}, "The status is already open."),
    ({"entry": "correction", "corrects": "9999", "text": "x"}, "Choose the entry you are"),
    ({"entry": "status", "status": "closed", "text": "x" * 4001}, "under 4000 characters"),
])
def test_bad_triage_input_names_the_field_and_saves_nothing(app, pupil, lead, data,
                                                            field_message):
    report(pupil)
    with app.app_context():
        wid = db.session.scalar(select(Worry.id))
    lead.get(f"/safeguarding/worries/{wid}")
    before = count(app, WorryEntry)
    r = submit(lead, f"/safeguarding/worries/{wid}", data)
    assert r.status_code == 400 and field_message in r.get_data(as_text=True)
    assert count(app, WorryEntry) == before


def test_records_are_append_only_in_the_app_and_in_the_database(app, pupil, lead):
    report(pupil)
    lead.get("/safeguarding/")  # an audit event exists
    with app.app_context():
        worry = db.session.scalar(select(Worry))
        worry.words = "changed"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AppendOnlyError):
            db.session.delete(db.session.scalar(select(Worry)))
            db.session.commit()
        db.session.rollback()
        for sql in ("UPDATE worries SET words = 'x'", "DELETE FROM worries",
                    "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(sql))
        assert db.session.scalar(select(Worry.words)) is None


@pytest.mark.parametrize("username", ["admin", "teacher", "teacher2", "parent", "pupil"])
def test_only_leads_read_worries_others_get_403_and_no_hint(app, username):
    c = app.test_client()
    sign_in(c, username)
    with app.app_context():
        worry = Worry(school_id=1, source="pupil", raised_by_id=1, kind="unkind",
                      client_token="z" * 32)
        db.session.add(worry)
        db.session.commit()
        wid = worry.id
    for url in ("/safeguarding/", f"/safeguarding/worries/{wid}", "/safeguarding/audit",
                "/safeguarding/retention", "/safeguarding/pupils/1",
                "/safeguarding/pupils/1/file.csv"):
        r = c.get(url)
        assert r.status_code == 403, url
        html = r.get_data(as_text=True)
        for hint in ("Someone was unkind", "Safeguarding inbox", "count-badge", "unread"):
            assert hint not in html, (url, hint)
    home = c.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Safeguarding inbox" not in home and "count-badge" not in home


def test_a_lead_of_another_school_cannot_see_this_schools_worries(app, pupil):
    report(pupil)
    with app.app_context():
        other = School(name="Other Primary", slug="other")
        db.session.add(other)
        db.session.flush()
        from app.auth.service import hash_password

        lead = User(school_id=other.id, kind="staff", username="otherdsl",
                    display_name="Other Lead", password_hash=hash_password("other-pass-1"))
        db.session.add(lead)
        db.session.flush()
        db.session.add(StaffRole(user_id=lead.id, role="safeguarding_lead"))
        db.session.commit()
        wid = db.session.scalar(select(Worry.id))
        alex = db.session.scalar(select(Pupil.id).join(User).where(User.username == "pupil"))
    c = app.test_client()
    sign_in(c, "otherdsl", "other-pass-1")
    assert c.get(f"/safeguarding/worries/{wid}").status_code == 404
    assert c.get(f"/safeguarding/pupils/{alex}").status_code == 404
    assert c.get(f"/safeguarding/pupils/{alex}/file.csv").status_code == 404
    inbox = c.get("/safeguarding/").get_data(as_text=True)
    assert "Nothing here." in inbox and "New:" not in inbox and "Alex P." not in inbox


def test_staff_record_a_concern_and_see_only_their_own(app, lead):
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    with app.app_context():
        sam = db.session.scalar(select(Pupil).where(Pupil.first_name == "Sam"))
    bad = submit(teacher, "/safeguarding/concern", {"pupil": "0", "kind": "upsetting",
                                                    "words": "Crying after a game",
                                                    "child_words": "", "occurred_at": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Choose the pupil this concern is about." in html
    assert "Crying after a game" in html  # what was typed stays
    empty = submit(teacher, "/safeguarding/concern", {"pupil": str(sam.id), "kind": "other",
                                                      "words": ""})
    assert "Describe what you saw or were told." in empty.get_data(as_text=True)
    future = submit(teacher, "/safeguarding/concern", {
        "pupil": str(sam.id), "kind": "other", "words": "x",
        "occurred_at": (date.today() + timedelta(days=3)).isoformat() + "T10:00"})
    assert "That date and time is in the future." in future.get_data(as_text=True)
    ok = submit(teacher, "/safeguarding/concern", {
        "pupil": str(sam.id), "kind": "upsetting", "words": "Sam was upset after a video",
        "child_words": "it had a scary man", "occurred_at": "2026-11-20T10:15"})
    redirected(ok, '/safeguarding/concerns/mine')
    mine = teacher.get("/safeguarding/concerns/mine").get_data(as_text=True)
    assert "Sam was upset after a video" in mine and "it had a scary man" in mine
    other = app.test_client()
    sign_in(other, "teacher2")
    assert "Sam was upset" not in other.get("/safeguarding/concerns/mine").get_data(
        as_text=True)
    inbox = lead.get("/safeguarding/").get_data(as_text=True)
    assert "Staff concern" in inbox and "Sam K." in inbox


def test_chronology_and_export_for_transfer_are_complete_and_audited(app, pupil, lead):
    report(pupil, words="=HYPERLINK(\"x\") first")
    report(pupil, kind="game-money", words="second")
    with app.app_context():
        alex = db.session.scalar(select(Pupil.id).join(User).where(User.username == "pupil"))
        wids = list(db.session.scalars(select(Worry.id).order_by(Worry.id)))
    url = f"/safeguarding/worries/{wids[0]}"
    lead.get(url)
    submit(lead, url, {"entry": "status", "status": "closed", "text": "Done"})
    page = lead.get(f"/safeguarding/pupils/{alex}").get_data(as_text=True)
    assert page.index("first") < page.index("second")  # date order
    assert "Status: Closed" in page  # closed items included
    printable = lead.get(f"/safeguarding/pupils/{alex}/file").get_data(as_text=True)
    assert "CONFIDENTIAL" in printable and "second" in printable
    response = lead.get(f"/safeguarding/pupils/{alex}/file.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "when (UTC)" and len(rows) == 1 + 2 + 2  # 2 worries, read + closed
    assert any(r[10] == "'=HYPERLINK(\"x\") first" for r in rows)  # no formula injection
    with app.app_context():
        exports = list(db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "export")))
        assert sorted(exports) == ["CSV", "printable page"]


@pytest.mark.parametrize("year,today,expected", [
    (6, date(2026, 11, 22), date(2041, 8, 31)),  # Year 6 in 2026/27: born by Aug 2016
    (1, date(2026, 11, 22), date(2046, 8, 31)),
    (6, date(2027, 3, 1), date(2041, 8, 31)),  # same school year
])
def test_retain_until_25th_birthday_from_year_group(app, year, today, expected):
    with app.app_context():
        assert service.retain_until(Pupil(year_group=year), today, 25) == expected


def test_retention_report_lists_old_records_and_deletes_nothing(make_app):
    app = make_app(SAFEGUARDING_RETENTION_AGE=5)  # a short period, so demo records are "old"
    c = app.test_client()
    sign_in(c, "pupil")
    report(c)
    lead = app.test_client()
    sign_in(lead, "dsl")
    page = lead.get("/safeguarding/retention").get_data(as_text=True)
    assert "Alex P." in page and "5th birthday" in page
    assert count(app, Worry) == 1
