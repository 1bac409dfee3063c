#!/usr/bin/env bash
# Bring up the production stack without systemd, with the very lines of the units in
# deploy/systemd/ (Environment defaults, ExecStartPre, ExecStart, Restart=on-failure and
# RestartSec, with /opt/safe-online replaced by this checkout): the schema upgrade, gunicorn
# and the alert sender, each restarted when it fails, as systemd would (app/ops/supervise.py).
#
#   deploy/run-stack.sh           run until Ctrl+C or SIGTERM, then stop everything cleanly
#   deploy/run-stack.sh --check   start, check that /healthz answers 200, stop
#
# Settings come from the environment, or from ENV_FILE (the same file as
# /etc/safe-online/env; see deploy/env.example). SAFE_ONLINE_BIND and SAFE_ONLINE_WORKERS
# default to the web unit's values; SAFE_ONLINE_RESTART_SEC overrides the units' RestartSec.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${ENV_FILE:-}" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
fi
cd "$root"
exec "$root/.venv/bin/python" -m app.ops.supervise "$@"
