"""Settings from the environment with safe defaults; nothing secret is committed."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


# Sign-in, sessions and request limits: the same for every app.
SIGN_IN_AND_SESSION: dict[str, Any] = {
    # Sign-in (docs/security.md): this many failures within LOCKOUT_MINUTES pause the
    # account for unknown clients (or one known device) for LOCKOUT_MINUTES; its own
    # known devices carry on. One client (address) failing CLIENT_THRESHOLD times within
    # CLIENT_MINUTES is paused that long. On a picture device, a pupil's failures pause
    # that pupil on that device only, for PICTURE_PAUSE_MINUTES.
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_MINUTES": 15,
    "CLIENT_THRESHOLD": 30,
    "CLIENT_MINUTES": 15,
    "PICTURE_PAUSE_MINUTES": 2,
    "KNOWN_DEVICE_DAYS": 400,
    # Two-step sign-in for leads, deputies and admins (and teachers where the school asks);
    # exporting a child's safeguarding file asks for the password (and code) again unless
    # the session signed in within REAUTH_MINUTES.
    "TWO_STEP_REQUIRED": True,
    "REAUTH_MINUTES": 5,
    # Picture sign-in devices stay enabled until the end of the current term (month-day).
    "TERM_ENDS": ("12-20", "04-03", "07-23"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # a school day from sign-in
    # A pupil's session ends when the browser closes and after this long without a page;
    # the page asks "are you still there?" two minutes before.
    "PUPIL_IDLE_MINUTES": 20,
    # The signed session cookie is only re-sent when it changes, not on every page.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
}


def defaults(app: Flask) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{Path(app.instance_path) / 'platform.db'}",
        "CONTENT_DIR": str(REPO_ROOT),
        "SCHOOL_TIMEZONE": "Europe/London",
        **SIGN_IN_AND_SESSION,
        # Safeguarding alerts: email is off until SMTP_HOST is set (FLASK_SMTP_HOST=...).
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "SMTP_TIMEOUT": 5,
        "MAIL_FROM": "Safe Online <no-reply@localhost>",
        # The base of every link in an email (never the request's Host header).
        "PUBLIC_URL": "http://localhost:5000",
        # Host names the app answers to (others get 400); production sets its own, e.g.
        # FLASK_TRUSTED_HOSTS='["school.example.org"]'. Behind N reverse proxies set
        # FLASK_PROXY_FIX_PROXIES=N so X-Forwarded-* headers are read; never otherwise.
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1", "::1"],
        "PROXY_FIX_PROXIES": 0,
        # Endpoints that take a file upload (multipart); every other form refuses one.
        "UPLOAD_ENDPOINTS": ["admin.import_upload"],
        "WORRY_REMINDER_MINUTES": 60,
        # Worries from one pupil within this time share one alert while it waits to be sent.
        "ALERT_COMBINE_MINUTES": 10,
        "SAFEGUARDING_RETENTION_AGE": 25,
        # A family link code on a letter home works once, for this many days.
        "FAMILY_CODE_DAYS": 30,
        # A KS1 pupil's home card turns on picture sign-in at home for this many days.
        "HOME_CARD_DAYS": 120,
    }


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config: defaults, then FLASK_* and DATABASE_URL from the environment, then tests."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(defaults(app))
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["DATABASE_URL"])
    # hide_parameters: a failed statement is logged without its values (a child's words)
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("pool_pre_ping", True)
    options["hide_parameters"] = True


def database_uri(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance: Path) -> str:
    """Read the instance's secret key, generating and keeping one on first run."""
    path = instance / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
