"""Response headers, trusted hosts and proxies, safe local redirects, bounded ids.

Nothing leaves our origin, nothing frames us, no referrer leaks; the Host header is only
believed for configured names; proxy headers only when we are told a proxy is in front.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# Ids in URLs fit the database's integer column: a bigger number is simply not found (404),
# never an overflow error from SQLite or PostgreSQL.
MAX_ID = 2**31 - 1


class BoundedId(IntegerConverter):
    """<int:...> for ids: ASCII digits only, at most MAX_ID."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def normalise_code(code: str) -> str:
    """A code as typed from a letter or card: case, spaces and dashes do not matter."""
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(purpose: str, code: str) -> str:
    """A one-time code kept only as a keyed hash (HMAC-SHA256 with the app's secret key),
    separate per ``purpose`` so one kind of code can never stand in for another."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}|{normalise_code(code)}".encode(),
                    hashlib.sha256).hexdigest()


def bounded_ids(app: Flask) -> None:
    """Called before any blueprint is registered, so every <int:id> rule uses it."""
    app.url_map.converters["int"] = BoundedId


def safe_local_path(target: str | None, longest: int = 500) -> str | None:
    """``target`` if it is a path on this site, else None (for `next` and return links).

    Refuses anything a browser could read as another origin, however it is written:
    scheme or host, `//` and `/\\` (raw or percent-encoded, once or twice), control or
    space characters, and non-ASCII (fullwidth and lookalike slashes).
    """
    if not target or len(target) > longest or not target.startswith("/"):
        return None
    if not target.isascii() or any(c.isspace() or unicodedata.category(c) == "Cc"
                                   for c in target):
        return None
    decoded = target
    for _ in range(3):  # a value that decodes to an unsafe one is refused too
        if "\\" in decoded or decoded.startswith(("//", "/\\")):
            return None
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc:
            return None
        once = unquote(decoded)
        if once == decoded:
            break
        if not once.isascii() or any(unicodedata.category(c) == "Cc" for c in once):
            return None
        decoded = once
    return target


def register(app: Flask) -> None:
    proxies = int(app.config.get("PROXY_FIX_PROXIES") or 0)
    if proxies:  # only when deployed behind that many reverse proxies (docs/deployment.md)
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

    @app.before_request
    def _refuse_malformed() -> None:
        """No form takes files (no pictures in worries): a multipart post to a form is
        refused with our own page, except where an upload is declared. A NUL character
        has no place in any field or parameter (PostgreSQL cannot store one)."""
        if request.mimetype == "multipart/form-data" and \
                request.endpoint not in app.config["UPLOAD_ENDPOINTS"]:
            abort(400)
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        # Every page and download (a safeguarding CSV too) is no-store; only the static
        # files of the course (no personal data) may be cached.
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
