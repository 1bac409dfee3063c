"""Trust the reverse proxy in front, and only as many as FLASK_TRUSTED_PROXIES says."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def behind_proxies(app: Flask) -> Flask:
    """With TRUSTED_PROXIES = n > 0, take the client address and scheme from the n proxies'
    X-Forwarded-For and X-Forwarded-Proto (Werkzeug's ProxyFix); with 0, ignore those headers.

    Audit entries then record the pupil's or lead's real address and the app sees HTTPS.
    Only set it when gunicorn is reachable through the proxy alone (it listens on 127.0.0.1),
    or anyone could claim any address.
    """
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app
