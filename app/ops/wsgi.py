"""The production WSGI entry point: ``gunicorn app.ops.wsgi:app`` (see deploy/systemd/).

Behind a reverse proxy set FLASK_PROXY_FIX_PROXIES=1 (the number of proxies in front):
create_app() then reads X-Forwarded-For and -Proto through Werkzeug's ProxyFix
(app/security.py); with 0 those headers are ignored.
"""

from app import create_app

app = create_app()
