"""Headers, no external requests, no stack traces, safe output of content and user text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO
from .helpers import real_page, sign_in

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


# --- issue 11 items 7-9: hosts, proxies, redirects, malformed requests ----------------------


def _our_error_page(response, code: int) -> None:
    assert response.status_code == code
    assert "Content-Security-Policy" in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "Safe Online" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.2"])
def test_only_configured_hosts_are_answered(client, host):
    _our_error_page(client.get("/login", headers={"Host": host}), 400)


def test_loopback_hosts_work_by_default(client):
    for host in ("localhost", "localhost:5000", "127.0.0.1:5000"):
        real_page(client.get("/login", headers={"Host": host}))


def test_email_links_come_from_the_configured_address_not_the_request(make_app):
    from app.models import Worry
    from app.worries.service import worry_link

    app = make_app(PUBLIC_URL="https://school.test/", TRUSTED_HOSTS=None)
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert worry_link(Worry(id=7)) == "https://school.test/safeguarding/worries/7"


@pytest.mark.parametrize("proxies,expected", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_proxy_headers_are_read_only_when_configured(make_app, proxies, expected):
    from sqlalchemy import select

    from app.db import db
    from app.models import Throttle

    from .helpers import submit

    app = make_app(PROXY_FIX_PROXIES=proxies)
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    submit(client, "/login", {"username": "nobody", "password": "wrong"})
    with app.app_context():
        keys = db.session.scalars(select(Throttle.key)).all()
    assert f"login:client:{expected}" in keys


BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "https://evil.example", "http:evil.example",
    "javascript:alert(1)", " //evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r\n/evil.example", "/\x00/evil.example", "/%2F/evil.example", "/%2f%2fevil.example",
    "%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example", "/%252F%252Fevil.example",
    "/%09/evil.example", "/%0a/evil.example", "/\u2215\u2215evil.example", "/\uff0f/evil.example",
    "/\u3002evil.example", "evil.example", "//evil.example/%2e%2e",
    "//evil.example\\@school.test", "/x" * 300,
]


@pytest.mark.parametrize("target", BYPASSES)
def test_sign_in_never_redirects_off_site(client, target):
    from urllib.parse import quote

    from .helpers import PASSWORDS, csrf_from

    html = client.get("/login").get_data(as_text=True)
    response = client.post(f"/login?next={quote(target, safe='')}", data={
        "csrf_token": csrf_from(html), "username": "pupil", "password": PASSWORDS["pupil"]})
    if "\x00" in target:  # refused outright (tests below): never a redirect anywhere
        assert response.status_code == 400 and "Location" not in response.headers
    else:
        assert response.status_code == 302 and response.location == "/learn/"


@pytest.mark.parametrize("target", ["/learn/", "/staff/classes/3?tab=grid", "/a%20b"])
def test_local_paths_are_kept(target):
    from app.security import safe_local_path

    assert safe_local_path(target) == target


@pytest.mark.parametrize("path", [
    "/safeguarding/worries/99999999999999999999999999",
    "/safeguarding/worries/2147483648",
    "/safeguarding/pupils/%D9%A1%D9%A2",  # Arabic-Indic digits
    "/safeguarding/pupils/%EF%BC%91",  # fullwidth 1
    "/safeguarding/worries/-1",
    "/staff/classes/1e9",
    "/login/pictures/%00",
])
def test_malformed_ids_are_not_found_not_a_crash(as_user, path):
    _our_error_page(as_user("dsl").get(path), 404)


@pytest.mark.parametrize("url,who", [("/login", None), ("/worry/", "pupil"),
                                     ("/safeguarding/concern", "teacher")])
def test_a_multipart_post_to_a_form_that_takes_none_is_refused(client, url, who):
    import io

    from .helpers import csrf_from

    if who:
        sign_in(client, who)
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(html), "kind": "unkind",
                                      "picture": (io.BytesIO(b"\x89PNG"), "a.png")},
                           content_type="multipart/form-data")
    _our_error_page(response, 400)
