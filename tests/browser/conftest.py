"""Real-browser fixtures: the app served on loopback, driven by Playwright in Debian's chromium."""

from __future__ import annotations

import os
import shutil

import pytest

from ..conftest import REPO, serve

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


# When the browser moves on before an image has finished downloading, Werkzeug's development
# server leaves that static file for the garbage collector to close. That is the test server's
# behaviour (gunicorn is used in production), not the app's, so only that warning is ignored.
STATIC_FILE_WARNING = "ignore:Exception ignored in. <_io.FileIO name='.*/static/"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.filterwarnings(
                STATIC_FILE_WARNING + ":pytest.PytestUnraisableExceptionWarning"))
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:unclosed file <_io.BufferedReader name='.*/static/:ResourceWarning"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's chromium is needed for browser tests ({CHROMIUM} is missing); "
                    "scripts/test.sh installs it.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def real_app(databases, tmp_path):
    """The real course, on a fresh copy of the demo database, served on loopback."""
    yield from serve(databases, tmp_path, REPO)


@pytest.fixture
def make_page(browser, real_app):
    """New browser tabs on the live app: any viewport, JavaScript on or off, touch enabled.

    Every tab refuses requests that would leave our origin and fails the test on any such
    request or any JavaScript error.
    """
    base = real_app.config["LIVE_URL"]
    contexts, external, errors = [], [], []

    def _make(width: int = 1024, height: int = 768, javascript: bool = True,
              bypass_csp: bool = False):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      has_touch=True, base_url=base,
                                      java_script_enabled=javascript, bypass_csp=bypass_csp)
        context.set_default_timeout(10_000)
        context.route("**/*", lambda route: (
            external.append(route.request.url) or route.abort()
            if not route.request.url.startswith(base) else route.continue_()))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield _make
    for context in contexts:
        context.close()
    assert external == [], f"requests left our origin: {external}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def page(make_page):
    return make_page()
