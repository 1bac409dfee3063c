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
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}" &
web=$!
stop() {
  trap - EXIT INT TERM
  kill -TERM "$web" "$sender" 2>/dev/null || true
  wait "$web" 2>/dev/null || true
  wait "$sender" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
echo "Open http://127.0.0.1:${PORT:-5000} (demo accounts are listed in README.md). Ctrl+C stops it."
wait "$web"  # when the web server stops, the sender stops with it
