"""The production WSGI entry point: ``gunicorn app.ops.wsgi:app`` (see deploy/systemd/).

Behind a reverse proxy set FLASK_TRUSTED_PROXIES to the number of proxies in front (1 for one
nginx): Werkzeug's ProxyFix then takes the client address and the scheme (https) from the
proxy's X-Forwarded-For and X-Forwarded-Proto, so audit entries record the real address and
links and secure cookies see HTTPS. Leave it 0 when gunicorn is reachable directly, or anyone
could claim any address.
"""

from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app

app = create_app()
_proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
if _proxies:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies)  # type: ignore[method-assign]
