"""Headers, no external requests, no stack traces, safe output of content and user text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO
from .helpers import sign_in

EXTERNAL = re.compile(r"""(?:src|href|action|url\()\s*=?\s*["']?(?:https?:)?//""", re.I)


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_no_asset_or_link_leaves_our_origin(folder):
    for path in (REPO / folder).rglob("*"):
        if path.suffix in {".html", ".css", ".js", ".svg"}:
            text = path.read_text()
            text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
            assert not EXTERNAL.search(text), path
            assert "http://" not in text and "https://" not in text, path


@pytest.mark.parametrize("username,url", [("pupil", "/learn/"), ("teacher", "/staff/"),
                                          ("parent", "/family/")])
def test_pages_have_no_inline_script_or_style(client, username, url):
    sign_in(client, username)
    html = client.get(url).get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_unexpected_errors_show_a_friendly_page_not_a_trace(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in html and "secret internals" not in html
    assert "Traceback" not in html


def test_too_large_post_is_refused_politely(client):
    response = client.post("/login", data={"username": "x" * 100_000, "password": "y"})
    assert response.status_code == 413


def test_templates_only_mark_prerendered_content_safe():
    for path in Path(REPO / "templates").rglob("*.html"):
        for match in re.finditer(r"\{\{([^}]*)\|\s*safe", path.read_text()):
            assert match.group(1).strip().endswith(("_html", "body_html")), (path, match.group(0))
