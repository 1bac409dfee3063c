#!/usr/bin/env bash
# Set up everything and serve the site on http://127.0.0.1:5000 with the embedded SQLite
# database and the demo school (Demo Primary). Safe to run again: nothing is duplicated.
# The alert sender (`flask send-outbox --watch`) runs beside the web server and stops with it:
# the web server itself never talks to the SMTP server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=app
.venv/bin/flask check-content
.venv/bin/flask init-db
.venv/bin/flask seed-demo
.venv/bin/flask send-outbox --watch &
sender=$!
stop_sender() { kill -TERM "$sender" 2>/dev/null || true; wait "$sender" 2>/dev/null || true; }
trap stop_sender EXIT
echo "Open http://127.0.0.1:5000 (demo accounts are listed in README.md). Ctrl+C stops it."
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
