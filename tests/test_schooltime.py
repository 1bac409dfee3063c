"""School time on both sides of the clock change (Europe/London: GMT in winter, BST in summer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.schooltime import format_time, from_school_clock

from .helpers import redirected


@pytest.mark.parametrize("utc, shown", [
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29 Mar 2026 00:30"),  # GMT, before the change
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "29 Mar 2026 02:30"),  # BST, just after it
    (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "1 Jul 2026 13:00"),
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 Oct 2026 01:30"),  # BST, first 01:30
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 Oct 2026 01:30"),  # GMT, second 01:30
    (datetime(2026, 12, 2, 9, 0, tzinfo=UTC), "2 Dec 2026 09:00"),
])
def test_stored_times_are_shown_on_the_schools_clock(app, utc, shown):
    with app.app_context():
        assert format_time(utc) == shown


@pytest.mark.parametrize("typed, stored", [
    (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),
    (datetime(2026, 6, 15, 9, 0), datetime(2026, 6, 15, 8, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
])
def test_typed_times_are_read_on_the_schools_clock_and_stored_in_utc(app, typed, stored):
    with app.app_context():
        assert from_school_clock(typed) == stored


def test_another_zone_can_be_configured(make_app):
    app = make_app(SCHOOL_TIMEZONE="Europe/Dublin")
    with app.app_context():
        assert format_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "time") == "13:00"


def test_the_filter_is_what_templates_use(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ t|school_time('datetime') }}")
        assert template.render(t=datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == \
            "1 July 2026, 13:00"


def test_a_concern_typed_in_summer_is_stored_in_utc_and_shown_as_typed(app):
    from sqlalchemy import select

    from app.db import db
    from app.models import Pupil, Worry

    from .helpers import sign_in, submit

    teacher, lead = app.test_client(), app.test_client()
    sign_in(teacher, "teacher2")
    sign_in(lead, "dsl")
    with app.app_context():
        sam = db.session.scalar(select(Pupil.id).where(Pupil.first_name == "Sam"))
    done = submit(teacher, "/safeguarding/concern", {
        "pupil": str(sam), "kind": "upsetting", "words": "Upset at lunch",
        "child_words": "", "occurred_at": "2026-07-01T12:15"})
    redirected(done, '/safeguarding/concerns/mine')
    with app.app_context():
        worry = db.session.scalar(select(Worry).where(Worry.words == "Upset at lunch"))
        assert worry.occurred_at == datetime(2026, 7, 1, 11, 15, tzinfo=UTC)
        worry_id = worry.id
    page = lead.get(f"/safeguarding/worries/{worry_id}").get_data(as_text=True)
    assert "1 Jul 2026 12:15" in page
