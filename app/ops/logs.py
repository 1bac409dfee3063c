"""Structured request logs with the standard logging module: one JSON line per request.

Each line has a request id (from the proxy's X-Request-ID when it is a plain token, or new),
the method, the route's endpoint and rule, the status and the duration in milliseconds. Never
the path's values, the query string, the user, an address or a cookie: the rule
``/teach/class/<int:class_id>`` says which page without saying whose.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

request_log = logging.getLogger("app.requests")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def setup_logging(app: Flask) -> None:
    """Log every request, and let our INFO lines (requests, the sender) through.

    The lines go up to Flask's ``app`` logger (stderr, or gunicorn's error log) and the root
    logger, so a deployment can route them with its own logging configuration.
    """
    app.logger  # noqa: B018  (creates Flask's default stderr handler when none is configured)
    for name in ("app.requests", "app.outbox"):
        logging.getLogger(name).setLevel(logging.INFO)
    if app.extensions.get("ops_request_log"):
        return
    app.extensions["ops_request_log"] = True
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _TOKEN.match(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    started = g.pop("request_started", None)
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    if started is None:
        return response
    fields = {
        "request_id": request_id,
        "method": request.method,
        "endpoint": request.endpoint or "-",
        "route": request.url_rule.rule if request.url_rule else "-",
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    request_log.info(json.dumps(fields, separators=(",", ":")), extra={"request": fields})
    return response
