#!/usr/bin/env bash
# Bring up the production stack without systemd, with the very commands of the systemd units
# in deploy/systemd/ (ExecStartPre, ExecStart, Environment defaults, with /opt/safe-online
# replaced by this checkout): the schema upgrade, gunicorn and the alert sender. Then check
# that /healthz answers 200.
#
#   deploy/run-stack.sh           run until Ctrl+C or SIGTERM, then stop both cleanly
#   deploy/run-stack.sh --check   start, check /healthz (and that the sender runs), stop
#
# Settings come from the environment, or from ENV_FILE (the same file as
# /etc/safe-online/env; see deploy/env.example). SAFE_ONLINE_BIND and SAFE_ONLINE_WORKERS
# default to the web unit's values.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
units="$root/deploy/systemd"
check_only=false
[ "${1:-}" = "--check" ] && check_only=true

if [ -n "${ENV_FILE:-}" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
fi

# Environment=KEY=VALUE lines of a unit: defaults for what is not set already.
unit_defaults() {
  local key value
  while IFS='=' read -r key value; do
    [ -n "${!key:-}" ] || export "$key=$value"
  done < <(sed -n 's/^Environment=//p' "$1")
}

# The command lines of one kind (ExecStartPre, ExecStart) of a unit, for this checkout.
unit_commands() {
  sed -n "s/^$2=//p" "$1" | sed "s#/opt/safe-online#$root#g"
}

web_unit="$units/safe-online-web.service"
sender_unit="$units/safe-online-sender.service"
unit_defaults "$web_unit"
cd "$root"

while IFS= read -r command; do
  eval "$command"
done < <(unit_commands "$web_unit" ExecStartPre)

web_command=$(unit_commands "$web_unit" ExecStart)
sender_command=$(unit_commands "$sender_unit" ExecStart)
eval "exec $web_command" &
web=$!
eval "exec $sender_command" &
sender=$!

stop() {
  trap - EXIT INT TERM
  kill -TERM "$web" "$sender" 2>/dev/null || true
  wait "$web" 2>/dev/null || true
  wait "$sender" 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 0' INT TERM

url="http://$SAFE_ONLINE_BIND/healthz"
healthy=false
for _ in $(seq 1 120); do
  if ! kill -0 "$web" 2>/dev/null; then
    echo "run-stack: gunicorn exited before answering" >&2
    exit 1
  fi
  if body=$("$root/.venv/bin/python" - "$url" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    print(r.read().decode())
PY
  ); then
    healthy=true
    break
  fi
  sleep 0.5
done
if ! $healthy; then
  echo "run-stack: $url did not answer 200" >&2
  exit 1
fi
echo "run-stack: web (pid $web) answers at $url: $body"
if [ -n "${FLASK_SMTP_HOST:-}" ]; then
  if ! kill -0 "$sender" 2>/dev/null; then
    echo "run-stack: the sender is not running" >&2
    exit 1
  fi
  echo "run-stack: sender (pid $sender) running"
else
  echo "run-stack: FLASK_SMTP_HOST is not set: email is off, the sender has nothing to do"
fi
if $check_only; then
  exit 0
fi
echo "run-stack: running; Ctrl+C or SIGTERM stops both"
wait -n "$web" "$sender" || true
if kill -0 "$web" 2>/dev/null && [ -z "${FLASK_SMTP_HOST:-}" ]; then
  wait "$web"  # no email configured: the sender left at once; keep serving
fi
echo "run-stack: a process ended; stopping" >&2
exit 1
