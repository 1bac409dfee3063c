#!/usr/bin/env bash
# Run a flask command with the production settings, e.g. as the service user:
#   sudo -u safe-online /opt/safe-online/deploy/flask.sh restore /var/backups/safe-online/x.db
# Reads ENV_FILE (default /etc/safe-online/env) the way the systemd units do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${ENV_FILE:-/etc/safe-online/env}
if [ -r "$env_file" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
fi
cd "$root"
exec "$root/.venv/bin/flask" --app app "$@"
