"""Signing in as a person would in the browser, including the second step for leads and
admins (the demo keys, or the key shown on the set-up page for a new account)."""

from __future__ import annotations

import re
import time

import pyotp

from app.demo import DEMO_TOTP_SECRETS

_secrets = dict(DEMO_TOTP_SECRETS)
_used: dict[tuple[str, str], int] = {}


def _code(page, username: str) -> str:
    """A code never used before for this account on this server (a code works once)."""
    key = (page.url.split("/login")[0], username)
    step = max(int(time.time() // 30), _used.get(key, -1) + 1)
    _used[key] = step
    return pyotp.TOTP(_secrets[username]).at(step * 30)


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("load")
    if page.url.endswith("/login/two-step/setup"):
        secret = page.locator("code.totp-secret").inner_text()
        _secrets[username] = re.sub(r"\s", "", secret)
        page.locator("input[name='code']").fill(_code(page, username))
        page.get_by_role("button", name="Turn on two-step sign-in", exact=True).click()
        page.get_by_role("link", name="I have kept them: carry on", exact=True).click()
    elif page.url.endswith("/login/two-step"):
        page.locator("input[name='code']").fill(_code(page, username))
        page.get_by_role("button", name="Sign in", exact=True).click()
