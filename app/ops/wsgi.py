"""The production WSGI entry point: ``gunicorn app.ops.wsgi:app`` (see deploy/systemd/).

Behind a reverse proxy set FLASK_PROXY_FIX_PROXIES=1 (the number of proxies in front):
create_app() then reads X-Forwarded-For and -Proto through Werkzeug's ProxyFix
(app/security.py); with 0 those headers are ignored. Each worker imports this module, so the
garbage collector is settled per worker once its app is built (app/ops/memory.py).
"""

from app import create_app
from app.ops.memory import settle_after_start

app = create_app()
settle_after_start()
