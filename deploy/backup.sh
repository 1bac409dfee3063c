#!/usr/bin/env bash
# One database backup into BACKUP_DIR, checked, and backups older than BACKUP_KEEP_DAYS
# removed (the live database keeps every record: old backups are copies). Run by
# safe-online-backup.timer; safe to run by hand. SQLite: `flask backup` (online backup API,
# consistent while the site runs). PostgreSQL: pg_dump in custom format, listed to check it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=${BACKUP_DIR:-/var/backups/safe-online}
keep=${BACKUP_KEEP_DAYS:-30}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dir"
umask 077  # backups hold safeguarding records
case "${DATABASE_URL:-sqlite}" in
  postgres://*|postgresql://*)
    out="$dir/platform-$stamp.dump"
    pg_dump --format=custom --no-owner --file="$out.part" "$DATABASE_URL"
    pg_restore --list "$out.part" >/dev/null
    mv "$out.part" "$out"
    ;;
  *)
    out="$dir/platform-$stamp.db"
    "$root/.venv/bin/flask" --app app backup "$out"
    ;;
esac
find "$dir" -maxdepth 1 -name 'platform-*' -mtime +"$keep" -delete
echo "backup: $out"
