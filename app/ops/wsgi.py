"""The production WSGI entry point: ``gunicorn app.ops.wsgi:app`` (see deploy/systemd/).

Behind a reverse proxy set FLASK_TRUSTED_PROXIES=1 (the number of proxies in front); see
app/ops/proxy.py.
"""

from app import create_app

from .proxy import behind_proxies

app = behind_proxies(create_app())
