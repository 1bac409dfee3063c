"""Issue 11 item 9: random input to every form and random path segments to every route, for
every role, never gets a 500 (SQLite, and PostgreSQL with TEST_DATABASE_URL). Bounded so the
file runs in well under a minute per database."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import csrf_from, sign_in
from .test_permissions import ROLES

FIELDS = ["username", "password", "confirm", "current", "code", "kind", "about", "feeling",
          "words", "talk", "step", "token", "started", "from", "picture", "action",
          "school_class", "pupil", "occurred_at", "entry", "status", "urgency", "corrects",
          "text_size", "font", "overlay", "high_contrast", "choice", "answer", "next",
          "outcome", "note"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
VALUE = st.one_of(TEXT, st.integers(-2**70, 2**70).map(str),
                  st.sampled_from(["", "1", "-1", "0", "99999999999", "١٢", "yes", "no",
                                   "2026-13-45", "2999-01-01", "1900-01-01", "on", "\x00"]))
SEGMENT = st.one_of(st.integers(-2**70, 2**70).map(str), TEXT.map(lambda t: quote(t, safe="")),
                    st.sampled_from(["..", "%2e%2e", "1e9", "%00", "١", "fixture-passwords"]))
FUZZ = settings(max_examples=20, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _rules(app, method: str) -> list:
    return [r for r in app.url_map.iter_rules() if method in r.methods
            and r.endpoint != "static"]


def _url(rule, segments: list[str]) -> str:
    url = rule.rule
    for arg, value in zip(sorted(rule.arguments), segments, strict=False):
        url = re.sub(rf"<(?:\w+:)?{arg}>", value or "x", url)
    return re.sub(r"<(?:\w+:)?\w+>", "1", url)


def _signed_in(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, role)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_random_paths_never_fail(make_app, role):
    app = make_app()
    client = _signed_in(app, role)
    rules = _rules(app, "GET")

    @FUZZ
    @given(st.sampled_from(rules), st.lists(SEGMENT, min_size=1, max_size=3),
           st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=3))
    def check(rule, segments, query):
        response = client.get(_url(rule, segments), query_string=query)
        assert response.status_code < 500, (rule.rule, segments, query)

    check()


@pytest.mark.parametrize("role", ROLES)
def test_random_forms_never_fail(make_app, role):
    app = make_app()
    client = _signed_in(app, role)
    # a real token (the sign-out form's, or the sign-in page's): posts get past CSRF
    token = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))
    rules = _rules(app, "POST")

    @FUZZ
    @given(st.sampled_from(rules), st.lists(SEGMENT, min_size=1, max_size=3),
           st.dictionaries(st.one_of(st.sampled_from(FIELDS), TEXT), VALUE, max_size=8),
           st.booleans())
    def check(rule, segments, data, multipart):
        url = _url(rule, ["1", *segments] if rule.arguments else segments)
        response = client.post(url, data={"csrf_token": token, **data},
                               content_type="multipart/form-data" if multipart else None)
        assert response.status_code < 500, (rule.rule, data)

    check()
