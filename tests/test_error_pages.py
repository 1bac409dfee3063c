"""The 403 and 404 pages speak to the person who sees them: a pupil, a parent, a member of
staff, or someone not signed in; the words are plain English and never a stack trace."""

from __future__ import annotations

import pytest

from app.errorwords import HOME, WORDS, audience, words_for

from .helpers import sign_in

FORBIDDEN = {"pupil": "/staff/course", "parent": "/staff/course", "teacher": "/admin/",
             "dsl": "/staff/course"}


@pytest.mark.parametrize("who, kind, title, words, button", [
    ("pupil", "pupil", "This page is not for you", "Your lessons are waiting for you.",
     "Back to my lessons"),
    ("parent", "parent", "This page is for school staff", "ask the school office",
     "Go to my family page"),
    ("teacher", "staff", "Your account cannot open this page", "ask your school admin",
     "Go to my staff home"),
    ("dsl", "staff", "Your account cannot open this page", "ask your school admin",
     "Go to my staff home"),
])
def test_a_403_speaks_to_the_role_that_sees_it(client, who, kind, title, words, button):
    sign_in(client, who)
    response = client.get(FORBIDDEN[who])
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in page and words in page.replace("&#39;", "'")
    assert button in page and "Traceback" not in page


@pytest.mark.parametrize("who, url, words, button", [
    ("pupil", "/learn/no-such-lesson/", "It may not be open for you yet. Ask your teacher",
     "Back to my lessons"),
    ("parent", "/no-such-page", "not linked to your account", "Go to my family page"),
    ("teacher", "/staff/lessons/no-such-lesson", "does not look after", "Go to my staff home"),
    (None, "/no-such-page", "sign in and start from your home page", "Go to the sign-in page"),
])
def test_a_404_speaks_to_the_role_that_sees_it(client, who, url, words, button):
    if who:
        sign_in(client, who)
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>We can&#39;t find that page</h1>" in page
    assert words in page and button in page


def test_every_audience_has_plain_words_for_both_pages():
    for code in (403, 404):
        for who in HOME:
            w = words_for(code, None if who == "visitor" else type("U", (), {
                "is_authenticated": True, "kind": who})())
            assert w.title and w.message.endswith(".") and w.home == HOME[who]
            assert not any(jargon in w.message.lower() for jargon in (
                "403", "404", "forbidden", "http", "request", "permission denied", "error"))
    assert set(WORDS) == {(c, w) for c in (403, 404) for w in HOME}
    assert audience(None) == "visitor"


def test_a_bad_form_post_reads_as_plain_english(client):
    sign_in(client, "pupil")
    response = client.post("/learn/settings", data={"csrf_token": "wrong"})
    page = response.get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert response.status_code == 400 and "Please try that again" in main
    assert "CSRF" not in main and "token" not in main.lower()
