#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, content check, every test on SQLite (browser
# tests in Debian's chromium included), then the database tests again on a real PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)  # checks deploy/systemd/
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

scripts/setup.sh test
export FLASK_APP=app
.venv/bin/ruff check app tests bench  # with the complexity rule (C901, at most 10)
.venv/bin/mypy  # strict on app/ (pyproject.toml [tool.mypy])
.venv/bin/flask check-content

echo "== Tests on SQLite (with real-browser tests) =="
.venv/bin/python -m pytest "$@"

echo "== Tests on PostgreSQL =="
# A free loopback port, chosen now: a fixed one can be taken by a passing client socket.
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
url=""
for attempt in 1 2 3 4 5; do
  pgdir=$(mktemp -d /tmp/drp-pg.XXXXXX)
  if url=$(scripts/pg.sh start "$pgdir" "${PG_TEST_PORT:-$(free_port)}"); then
    break
  fi
  echo "PostgreSQL did not start (attempt $attempt); retrying on another port" >&2
  rm -rf "$pgdir"
  url=""
done
[ -n "$url" ] || { echo "could not start PostgreSQL for the tests" >&2; exit 1; }
trap 'scripts/pg.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
TEST_DATABASE_URL="$url" .venv/bin/python -m pytest -m "not browser" "$@"
