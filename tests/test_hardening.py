"""Issue 11: sign-in that cannot be turned against someone, sessions that really end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import service
from app.db import db, utcnow
from app.models import Pupil, Throttle, User

from .helpers import PASSWORDS, home_of, real_page, redirected, sign_in, submit
from .test_auth import enable_device, sam, tap


def fail(client, username: str, times: int = 1, password: str = "not-the-password"):
    response = None
    for _ in range(times):
        response = submit(client, "/login", {"username": username, "password": password})
        assert response.status_code == 400
    return response


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


# --- 1. nobody can lock someone else out ---------------------------------------------------


def test_a_stranger_failing_ten_times_cannot_stop_the_lead_on_her_own_device(app):
    lead = app.test_client()
    sign_in(lead, "dsl")  # the lead's office PC: now a known device for her account
    submit(lead, "/logout", page="/staff/")
    stranger = app.test_client()
    fail(stranger, "dsl", times=10)
    # the guesser is paused: even the right password does not get in from there
    refused = fail(stranger, "dsl", password=PASSWORDS["dsl"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)
    # the lead, on her own device, signs in as usual
    sign_in(lead, "dsl")
    real_page(lead.get("/safeguarding/"))


def test_a_known_device_is_paused_only_for_itself_and_says_so(app):
    own = app.test_client()
    sign_in(own, "teacher")
    submit(own, "/logout", page="/staff/")
    last = fail(own, "teacher", times=app.config["LOCKOUT_THRESHOLD"])
    assert "paused on this device for 15 minutes" in last.get_data(as_text=True)
    assert fail(own, "teacher", password=PASSWORDS["teacher"]).status_code == 400
    # the account is not paused anywhere else
    sign_in(app.test_client(), "teacher")


def test_a_guesser_trying_many_accounts_from_one_client_is_slowed(make_app):
    app = make_app(CLIENT_THRESHOLD=8)
    own = app.test_client()
    sign_in(own, "teacher")
    submit(own, "/logout", page="/staff/")
    guesser = app.test_client()
    for n in range(8):
        fail(guesser, f"guess{n}")
    refused = fail(guesser, "teacher", password=PASSWORDS["teacher"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)
    # the teacher's own device, on the same network address, carries on
    sign_in(own, "teacher")
    # and another client elsewhere is not slowed
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    sign_in(elsewhere, "pupil")
    with app.app_context():
        row = db.session.get(Throttle, "login:client:127.0.0.1")
        assert row.blocked_until > utcnow()


def test_the_account_pause_for_strangers_ends_and_a_teacher_can_lift_it(app):
    stranger = app.test_client()
    fail(stranger, "pupil", times=app.config["LOCKOUT_THRESHOLD"])
    new_device = app.test_client()
    fail(new_device, "pupil", password=PASSWORDS["pupil"])  # unknown client: still paused
    with app.app_context():
        user = db.session.get(User, user_id(app, "pupil"))
        assert user.locked_until > utcnow() + timedelta(minutes=14)
        service.unlock(user)
        db.session.commit()
    sign_in(new_device, "pupil")


def test_a_classmate_cannot_lock_a_pupil_out_of_picture_sign_in(app):
    device = enable_device(app)
    pupil = sam(app)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        last = tap(device, pupil.id, ["dog", "dog", "dog"])
    assert service.PICTURES_PAUSED in last.get_data(as_text=True)
    assert service.PICTURES_PAUSED in tap(device, pupil.id, ["cat", "sun", "tree"]).get_data(
        as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Throttle).where(
            Throttle.key.startswith(f"pics:{pupil.id}:"))).all()
        assert len(rows) == 1  # this pupil on this device: nothing on the account itself
        pause = rows[0].blocked_until - utcnow()
        assert timedelta(0) < pause <= timedelta(minutes=app.config["PICTURE_PAUSE_MINUTES"])
        assert db.session.get(Pupil, pupil.id).user.locked_until is None
    # on another class device Sam signs in at once
    other = enable_device(app)
    assert tap(other, pupil.id, ["cat", "sun", "tree"]).location == "/learn/"
    # and the teacher lifts the pause on the first device
    with app.app_context():
        service.unlock(db.session.get(Pupil, pupil.id).user)
        db.session.commit()
    assert tap(device, pupil.id, ["cat", "sun", "tree"]).location == "/learn/"


def test_a_forged_known_device_cookie_counts_for_nothing(app):
    stranger = app.test_client()
    stranger.set_cookie(service.KNOWN_DEVICE_COOKIE, '{"d": "x", "u": [1, 2, 3, 4, 5, 6]}')
    fail(stranger, "dsl", times=app.config["LOCKOUT_THRESHOLD"])
    refused = fail(stranger, "dsl", password=PASSWORDS["dsl"])
    assert service.WRONG_DETAILS in refused.get_data(as_text=True)


def test_the_known_device_cookie_is_signed_http_only_and_remembers_several_accounts(app):
    shared = app.test_client()
    response = submit(shared, "/login", {"username": "pupil", "password": PASSWORDS["pupil"]})
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith(service.KNOWN_DEVICE_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    submit(shared, "/logout", page="/agreement")
    sign_in(shared, "teacher")
    with app.test_request_context():
        device = service.known_device(shared.get_cookie(service.KNOWN_DEVICE_COOKIE).value)
        assert device.user_ids == (user_id(app, "pupil"), user_id(app, "teacher"))


def test_reset_gives_a_first_time_password_and_ends_sessions(app):
    pupil = app.test_client()
    sign_in(pupil, "pupil")
    with app.app_context():
        user = db.session.get(User, user_id(app, "pupil"))
        user.locked_until = utcnow() + timedelta(minutes=5)
        password = service.reset(user)
        db.session.commit()
        assert user.must_change_password and user.pupil.card_password == password
    redirected(pupil.get("/learn/"), '/login?next=%<id>Flearn%<id>F')
    fresh = app.test_client()
    response = submit(fresh, "/login", {"username": "pupil", "password": password})
    redirected(response, '/learn/')
    assert fresh.get("/learn/").location.endswith("/password/new")


# --- 2. no account enumeration -------------------------------------------------------------


def _pause_pupil(app):
    fail(app.test_client(), "pupil", times=app.config["LOCKOUT_THRESHOLD"])
    return "pupil", PASSWORDS["pupil"]


@pytest.mark.parametrize("case", ["wrong password", "unknown username", "paused account"])
def test_the_same_answer_and_the_same_work_whatever_was_wrong(app, monkeypatch, case):
    username, password = {
        "wrong password": lambda: ("pupil", "wrong-password"),
        "unknown username": lambda: ("nobody-at-all", "wrong-password"),
        "paused account": lambda: _pause_pupil(app),
    }[case]()
    hashes = []
    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash",
                        lambda h, p: hashes.append(h) or real(h, p))
    response = fail(app.test_client(), username, password=password)
    assert len(hashes) == 1  # one slow hash in every case
    html = response.get_data(as_text=True)
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    reference = fail(app.test_client(), "someone-else", password="x").get_data(as_text=True)
    assert html == re.sub(r'value="[^"]*"', 'value=""', reference)
    assert service.WRONG_DETAILS in html


# --- 5. sign-out ends the session on the server --------------------------------------------


def _copy_session(client, app):
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


@pytest.mark.parametrize("how", ["sign-out", "new password", "deactivated"])
def test_a_copied_session_cookie_stops_working(app, how):
    client = app.test_client()
    sign_in(client, "teacher")
    stolen = _copy_session(client, app)
    if how == "sign-out":
        submit(client, "/logout", page="/staff/")
    elif how == "new password":
        response = submit(client, "/password/new", {"current": PASSWORDS["teacher"],
                                                    "password": "a-brand-new-long-password",
                                                    "confirm": "a-brand-new-long-password"})
        redirected(response, '/staff/')
        assert client.get("/staff/").status_code == 200  # this session carries on
    else:
        with app.app_context():
            db.session.get(User, user_id(app, "teacher")).enabled = False
            db.session.commit()
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/staff/")
    assert response.status_code == 302 and "/login" in response.location


# --- 6. shared classroom devices -----------------------------------------------------------


def _session_cookie_header(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_a_pupil_session_ends_with_the_browser_an_adult_session_lasts_the_day(app):
    pupil = submit(app.test_client(), "/login", {"username": "pupil",
                                                 "password": PASSWORDS["pupil"]})
    assert "Expires=" not in _session_cookie_header(pupil)
    adult = submit(app.test_client(), "/login", {"username": "parent",
                                                 "password": PASSWORDS["parent"]})
    assert "Expires=" in _session_cookie_header(adult)


def _age_session(client, seconds: int) -> None:
    with client.session_transaction() as sess:
        sess["seen"] = sess["seen"] - seconds


def test_a_pupil_is_signed_out_after_the_idle_time_with_a_gentle_word(make_app):
    app = make_app(PUPIL_IDLE_MINUTES=5)
    client = app.test_client()
    sign_in(client, "pupil")
    home = client.get("/learn/").get_data(as_text=True)
    assert 'data-idle="300"' in home and "Are you still there?" in home  # the script's box
    # without JavaScript the page itself asks, two minutes before
    assert 'http-equiv="refresh" content="180;url=/still-here?next=/learn/"' in home
    _age_session(client, 4 * 60)
    asked = client.get("/still-here?next=/learn/")
    assert asked.status_code == 200 and "Are you still there?" in asked.get_data(as_text=True)
    kept = submit(client, "/still-here?next=/learn/", page="/still-here?next=/learn/")
    assert kept.location == "/learn/"
    with client.session_transaction() as sess:
        assert sess["seen"] >= int(__import__("time").time()) - 5  # the clock restarted
    _age_session(client, 5 * 60 + 1)
    gone = client.get("/learn/")
    assert gone.status_code == 302 and gone.location.endswith("/login?away=1")
    page = client.get(gone.location).get_data(as_text=True)
    assert "You were away for a while" in page
    redirected(client.get("/learn/"), '/login?next=%<id>Flearn%<id>F')


def test_the_still_here_ping_answers_the_script(make_app):
    app = make_app(PUPIL_IDLE_MINUTES=5)
    client = app.test_client()
    sign_in(client, "pupil")
    html = client.get("/learn/").get_data(as_text=True)
    from .helpers import csrf_from
    response = client.post("/still-here", data={"csrf_token": csrf_from(html)},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204


def test_adults_have_no_idle_sign_out_here(app):
    client = app.test_client()
    sign_in(client, "teacher")
    assert "data-idle" not in client.get("/staff/").get_data(as_text=True)


def test_quick_hide_ends_a_worry_in_progress(app):
    client = app.test_client()
    sign_in(client, "pupil")
    first = client.get("/worry/").get_data(as_text=True)
    started = re.search(r'name="started" value="(\d+)"', first).group(1)
    token = re.search(r'name="token" value="(\w+)"', first).group(1)
    step2 = submit(client, "/worry/", {"step": "1", "kind": "unkind", "token": token,
                                       "started": started})
    html = step2.get_data(as_text=True)
    assert step2.status_code == 200 and 'name="kind" value="unkind"' in html
    assert f'name="started" value="{started}"' in html
    real_page(client.get("/hide"))
    # the same form sent again from the history: back to an empty first step, nothing kept
    again = submit(client, "/worry/", {"step": "2", "kind": "unkind", "about": "me",
                                       "words": "something private", "token": token,
                                       "started": started}, page="/worry/")
    text = again.get_data(as_text=True)
    assert "Step 1 of 3" in text and "something private" not in text
    assert 'value="unkind"' not in text.split("tile-grid kinds")[0]


@pytest.mark.parametrize("url", ["/worry/", "/worry/mine"])
def test_worry_pages_are_not_stored_and_have_a_neutral_title(app, url):
    client = app.test_client()
    sign_in(client, "pupil")
    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"
    title = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True)).group(1)
    assert "worry" not in title.lower() and title == "My learning · Safe Online"


# --- 4. passwords --------------------------------------------------------------------------


def change(client, current: str | None, new: str):
    data = {"password": new, "confirm": new}
    if current is not None:
        data["current"] = current
    return submit(client, "/password/new", data)


@pytest.mark.parametrize("username", ["teacher", "parent", "dsl", "pupil"])
def test_people_change_their_own_password_and_other_sessions_end(app, username):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, username)
    sign_in(elsewhere, username)
    page = here.get("/password/new").get_data(as_text=True)
    assert "Your current password" in page and "onpaste" not in page
    wrong = change(here, "not-my-password", "a-good-long-passphrase")
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    long_one = "correct horse battery staple " * 6  # 174 characters, spaces and all
    redirected(change(here, PASSWORDS[username], long_one), home_of(username))
    home = {"pupil": "/learn/", "parent": "/family/"}.get(username, "/staff/")
    real_page(here.get(home))
    redirected(elsewhere.get(home), '/login')
    redirected(submit(app.test_client(), "/login", {"username": username,
                                                    "password": long_one}),
               home_of(username, two_step=True))


@pytest.mark.parametrize("new,message", [
    ("short1", "Use at least 8 characters"),
    ("password123", "one of the most common ones"),
    ("Qwerty123", "one of the most common ones"),
    ("iloveyou!", "one of the most common ones"),
    ("teacher", "Use at least 8 characters"),
])
def test_weak_passwords_are_refused_with_a_reason_and_no_composition_rules(app, new, message):
    client = app.test_client()
    sign_in(client, "teacher")
    response = change(client, PASSWORDS["teacher"], new)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    # all lower case, no digits or symbols: fine when long enough and not common
    redirected(change(client, PASSWORDS["teacher"], "plumsandpebbles"), '/staff/')


def test_the_shipped_list_is_a_few_thousand_lower_case_passwords():
    words = service.common_passwords()
    assert len(words) >= 3000
    assert {"123456", "password", "qwerty", "iloveyou", "football1"} <= words
    assert all(w == w.lower() and w.strip() == w for w in words)


# --- 10-13. safeguarding data --------------------------------------------------------------


def _report(client, words: str = "", kind: str = "unkind"):
    first = client.get("/worry/").get_data(as_text=True)
    token = re.search(r'name="token" value="(\w+)"', first).group(1)
    return submit(client, "/worry/", {"step": "3", "kind": kind, "about": "me",
                                      "words": words, "talk": "yes", "token": token},
                  page="/worry/")


def _break_worry_inserts(app) -> None:
    """The database refuses to store a worry, as a full disk or a lost server would."""
    from sqlalchemy import text

    with app.app_context(), db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("CREATE FUNCTION no_room() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'no room'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER no_room BEFORE INSERT ON worries "
                              "FOR EACH ROW EXECUTE FUNCTION no_room()"))
        else:
            conn.execute(text("CREATE TRIGGER no_room BEFORE INSERT ON worries "
                              "BEGIN SELECT RAISE(ABORT, 'no room'); END"))


def test_nothing_a_child_wrote_reaches_a_log(app, caplog):
    import logging

    _break_worry_inserts(app)
    client = app.test_client()
    sign_in(client, "pupil")
    secret = "my-cousin-sends-me-private-things-7731"
    with caplog.at_level(logging.DEBUG):
        response = _report(client, words=secret)
    assert response.status_code == 503
    assert "Please tell a grown-up now" in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") + str(r.exc_info or "")
                       for r in caplog.records)
    for record in caplog.records:
        if record.exc_info:
            logged += logging.Formatter().formatException(record.exc_info)
    assert "a worry could not be saved" in logged  # the failure itself is logged
    assert secret not in logged and "SQL parameters hidden" in logged


def _alert_rows(app):
    from app.models import OutboxEmail

    with app.app_context():
        return db.session.scalars(select(OutboxEmail).where(OutboxEmail.purpose == "alert")
                                  .order_by(OutboxEmail.id)).all()


def test_alerts_say_only_that_something_is_waiting_unless_the_school_opts_in(app):
    from app.models import School

    client = app.test_client()
    sign_in(client, "pupil")
    _report(client, words="private words", kind="stranger")
    (row,) = _alert_rows(app)
    assert "https://" in row.body or "http://" in row.body
    assert "http://localhost:5000/safeguarding/worries/" in row.body  # PUBLIC_URL
    for leak in ("stranger", "someone i don't know", "private words", "Alex"):
        assert leak not in row.body.lower() and leak not in row.subject.lower()
    with app.app_context():
        db.session.scalar(select(School)).alerts_name_kind = True
        db.session.commit()
        from app.models import OutboxEmail
        db.session.execute(OutboxEmail.__table__.update().values(sent_at=utcnow()))
        db.session.commit()
    _report(client, kind="stranger")
    assert "(someone i don't know talked to me)" in _alert_rows(app)[-1].body.lower()


def test_many_worries_in_a_short_time_are_all_kept_with_one_combined_alert(app):
    from app.models import OutboxEmail, Worry

    client = app.test_client()
    sign_in(client, "pupil")
    for n in range(4):
        redirected(_report(client, words=f"worry number {n}"), "/worry/sent/<any>")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Worry)) == 4
    rows = _alert_rows(app)
    assert len(rows) == 1  # one lead with an email: one message, not four
    assert "4 new worries" in rows[0].body and rows[0].body.endswith("no details.\n")
    assert "/safeguarding/" in rows[0].body
    # once that alert has gone, the next worry gets its own
    with app.app_context():
        db.session.execute(OutboxEmail.__table__.update().values(sent_at=utcnow()))
        db.session.commit()
    _report(client)
    assert len(_alert_rows(app)) == 2


def test_pupils_see_a_reference_that_does_not_count_worries(app):
    client = app.test_client()
    sign_in(client, "pupil")
    locations = [_report(client).location for _ in range(2)]
    refs = [loc.rsplit("/", 1)[1] for loc in locations]
    assert all(re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", r) for r in refs)
    page = client.get(locations[0]).get_data(as_text=True)
    assert refs[0] in page
    assert all(r in client.get("/worry/mine").get_data(as_text=True) for r in refs)
    # another pupil cannot open it, and the plain id is not an address any more
    other = app.test_client()
    with app.app_context():
        from app.models import Worry
        worry_id = db.session.scalar(select(Worry.id).order_by(Worry.id))
        kid = db.session.scalar(select(User).join(Pupil).where(Pupil.first_name == "Priya"))
        kid.username = "priya"
        kid.password_hash = service.hash_password("another-pupil-pass")
        db.session.commit()
        kid_name = kid.username
    sign_in(other, kid_name, "another-pupil-pass")
    assert other.get(locations[0]).status_code == 404
    assert client.get(f"/worry/sent/{worry_id}").status_code == 404


def test_creating_a_worry_or_a_concern_is_audited(app):
    from app.models import AuditEvent

    pupil = app.test_client()
    sign_in(pupil, "pupil")
    _report(pupil)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    with app.app_context():
        alex = db.session.scalar(select(Pupil).where(Pupil.first_name == "Alex"))
    page = teacher.get("/safeguarding/concern").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="(\w+)"', page).group(1)
    response = submit(teacher, "/safeguarding/concern", {
        "pupil": str(alex.id), "kind": "unkind", "words": "Seen upset at lunch",
        "token": token})
    redirected(response, '/safeguarding/concerns/mine')
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "create")
                                    .order_by(AuditEvent.id)).all()
        assert [e.detail for e in events] == ["pupil worry", "staff concern"]
        assert all(e.target.startswith("worry ") for e in events)


@pytest.mark.parametrize("when,message", [
    ("2999-01-01T10:00", "in the future"),
    ("2001-05-01T10:00", "before Alex P. could have been born"),
])
def test_event_dates_are_checked(app, when, message):
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    with app.app_context():
        alex = db.session.scalar(select(Pupil).where(Pupil.first_name == "Alex"))
    page = teacher.get("/safeguarding/concern").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="(\w+)"', page).group(1)
    response = submit(teacher, "/safeguarding/concern", {
        "pupil": str(alex.id), "kind": "unkind", "words": "Kept as typed", "token": token,
        "occurred_at": when})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "Kept as typed" in html


def test_append_only_holds_against_truncate(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    client = app.test_client()
    sign_in(client, "pupil")
    _report(client)
    with app.app_context():
        for table in ("worries", "audit_events"):
            # PostgreSQL's TRUNCATE, and SQLite's (a DELETE without WHERE)
            statement = f"TRUNCATE {table} CASCADE" if db.engine.dialect.name == \
                "postgresql" else f"DELETE FROM {table}"
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
        assert db.session.scalar(text("SELECT count(*) FROM worries")) == 1


def test_unlock_lifts_only_that_accounts_pauses(app):
    with app.app_context():
        user = db.session.get(User, user_id(app, "pupil"))
        other = int(f"{user.id}2")  # an id that starts with the same digits
        later = utcnow() + timedelta(minutes=5)
        keys = {f"totp:{user.id}": False, f"login:user:{user.id}:dev:a": False,
                f"pics:{user.pupil.id}:d": False, f"totp:{other}": True,
                f"login:user:{other}:dev:a": True, f"pics:{int(f'{user.pupil.id}2')}:d": True}
        db.session.add_all(Throttle(key=k, failures=0, window_start=utcnow(),
                                    blocked_until=later) for k in keys)
        db.session.commit()
        service.unlock(user)
        db.session.commit()
        left = set(db.session.scalars(select(Throttle.key)))
        assert left == {k for k, stays in keys.items() if stays}


@pytest.mark.parametrize("username,links", [
    ("teacher", ["/password/new"]), ("parent", ["/password/new"]),
    ("dsl", ["/password/new", "/account/two-step"]), ("pupil", []),
])
def test_adults_find_their_password_and_two_step_pages_in_the_menu(app, username, links):
    client = app.test_client()
    sign_in(client, username)
    home = {"pupil": "/learn/", "parent": "/family/"}.get(username, "/staff/")
    html = client.get(home).get_data(as_text=True)
    for link in ("/password/new", "/account/two-step"):
        assert (f'href="{link}"' in html) == (link in links)
