"""Helpers that use the site as a person would: open a page, fill its form, post it."""

import re
import time

import pyotp

from app.demo import DEMO_TOTP_SECRETS

PASSWORDS = {
    "admin": "demo-admin-pass",
    "teacher": "demo-teacher-pass",
    "teacher2": "demo-teacher-pass",
    "dsl": "demo-dsl-pass",
    "deputylead": "demo-deputy-pass",
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


SECRET_RE = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')
_used_steps: dict[tuple[str, str], int] = {}


def totp_code(client, secret: str, username: str) -> str:
    """A code the app would show, never one step already used for this account in this
    test's database (the server refuses a code twice): the next step's code when this one is
    spent. A third sign-in within the same half minute lets the database forget the last
    step, as the clock would (tests/test_totp.py proves a code never works twice)."""
    app = client.application
    key = (app.config["SQLALCHEMY_DATABASE_URI"], username)
    now = int(time.time() // 30)
    step = max(now, _used_steps.get(key, -1) + 1)
    if step > now + 1:
        from sqlalchemy import update

        from app.db import db
        from app.models import User

        with app.app_context():
            db.session.execute(update(User).where(User.username == username)
                               .values(totp_last_step=None))
            db.session.commit()
        step = now
    _used_steps[key] = step
    return pyotp.TOTP(secret).at(step * 30)


SECRETS = dict(DEMO_TOTP_SECRETS)  # plus any account a test set up (by its key on the page)


def two_step(client, username: str, response):
    """Complete the second step like a person with the app: the demo secret for dsl and
    admin; for any other account that must set it up, the key shown on the set-up page."""
    if not (response.location or "").endswith("/login/two-step"):
        return response
    asked = client.get("/login/two-step")
    if asked.status_code == 200:
        return submit(client, "/login/two-step",
                      {"code": totp_code(client, SECRETS[username], username)})
    assert asked.location.endswith("/login/two-step/setup"), asked.location
    page = client.get("/login/two-step/setup").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    SECRETS[username] = secret
    done = submit(client, "/login/two-step/setup", {"code": totp_code(client, secret, username)})
    assert done.status_code == 200, done.get_data(as_text=True)
    return done


def sign_in(client, username: str, password: str | None = None, accept: bool = True):
    response = submit(client, "/login",
                      {"username": username, "password": password or PASSWORDS[username]})
    assert response.status_code == 302, response.get_data(as_text=True)
    step = two_step(client, username, response)
    assert step.status_code in (200, 302), step.get_data(as_text=True)
    if accept:
        submit(client, "/agreement")
    return response




H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def real_page(response, *texts: str, where: object = None) -> str:
    """A page that is really there: 200 (not a redirect), a heading with words in it (not an
    empty page or an error page without one), and each of ``texts``. Other downloads (CSV,
    JSON) must not be empty. Returns the body."""
    assert response.status_code == 200, (where, response.status_code, response.location)
    body = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        heading = H1_RE.search(body)
        assert heading and re.sub(r"<[^>]+>", "", heading.group(1)).strip(), (where, "no h1")
    else:
        assert body.strip(), (where, f"empty {response.mimetype} response")
    for text in texts:
        assert text in body, (where, text)
    return body


HOMES = {"pupil": "/learn/", "parent": "/family/"}  # everyone else: /staff/


def home_of(username: str, two_step: bool = False) -> str:
    """Where a demo account lands after its password (``two_step``: the code comes next)."""
    if two_step and username in DEMO_TOTP_SECRETS:
        return "/login/two-step"
    return HOMES.get(username, "/staff/")


def redirected(response, to: str) -> str:
    """A redirect (302) to the path ``to``, not to the sign-in page or anywhere else: ``<id>``
    stands for a number and ``<any>`` for one part of a path; a ``?`` in ``to`` compares the
    query too, and a ``#`` the fragment. Returns the location."""
    from urllib.parse import urlsplit

    assert response.status_code == 302, response.status_code
    location = response.location
    parts = urlsplit(location)
    where = parts.path + (f"?{parts.query}" if "?" in to and parts.query else "") \
        + (f"#{parts.fragment}" if "#" in to and parts.fragment else "")
    tokens = {"<id>": r"\d+", "<any>": r"[^/]+"}
    pattern = "".join(tokens.get(bit) or re.escape(bit)
                      for bit in re.split(r"(<id>|<any>)", to))
    assert re.fullmatch(pattern, where), (location, to)
    return location
