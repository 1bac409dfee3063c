#!/usr/bin/env bash
# Set up and run the whole test suite: lint, content check, every test on SQLite (browser
# tests in Debian's chromium included), then the database tests again on a real PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

scripts/setup.sh test
export FLASK_APP=app
.venv/bin/ruff check app tests bench
.venv/bin/flask check-content

echo "== Tests on SQLite (with real-browser tests) =="
.venv/bin/python -m pytest "$@"

echo "== Tests on PostgreSQL =="
pgdir=$(mktemp -d /tmp/drp-pg.XXXXXX)
port=${PG_TEST_PORT:-55432}
url=$(scripts/pg.sh start "$pgdir" "$port")
trap 'scripts/pg.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
TEST_DATABASE_URL="$url" .venv/bin/python -m pytest -m "not browser" "$@"
