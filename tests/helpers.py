"""Helpers that use the site as a person would: open a page, fill its form, post it."""

import re

PASSWORDS = {
    "admin": "demo-admin-pass",
    "teacher": "demo-teacher-pass",
    "teacher2": "demo-teacher-pass",
    "dsl": "demo-dsl-pass",
    "pupil": "demo-pupil-pass",
    "parent": "demo-parent-pass",
}


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def submit(client, url: str, data: dict | None = None, page: str | None = None,
           follow: bool = False):
    """Open ``page`` (default: ``url``) like a browser, then post its form with ``data``."""
    html = client.get(page or url, follow_redirects=True).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(html), **(data or {})},
                       follow_redirects=follow)


def sign_in(client, username: str, password: str | None = None, accept: bool = True):
    response = submit(client, "/login",
                      {"username": username, "password": password or PASSWORDS[username]})
    assert response.status_code == 302, response.get_data(as_text=True)
    if accept:
        submit(client, "/agreement")
    return response


