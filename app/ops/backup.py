"""Backup and restore of the SQLite database with SQLite's online backup API.

``backup`` copies the live database page by page in one step under a read transaction, so the
copy is one consistent moment even while the site keeps writing (WAL: readers do not block
writers). ``restore`` first checks that the file is sound and is one of our databases at the
schema this code expects, keeps a copy of the current database beside it, then copies the
backup in through the same API (so SQLite's own locking and WAL are respected).
PostgreSQL: pg_dump / pg_restore (docs/deployment.md).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

# Tables every database of ours has; a file without them is someone else's.
REQUIRED_TABLES = ("alembic_version", "schools", "users", "worries", "worry_entries",
                   "audit_events", "outbox_emails")


class BackupError(Exception):
    """A backup or restore refused, with a message for the person running it."""


def sqlite_path(uri: str) -> Path:
    url = make_url(uri)
    if url.get_backend_name() != "sqlite":
        raise BackupError("backup and restore work on the SQLite database; for PostgreSQL use "
                          "pg_dump and pg_restore (see docs/deployment.md)")
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(url.database)


def expected_revision() -> str:
    """The newest migration: the schema this code runs on."""
    from alembic.script import ScriptDirectory

    from ..migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise BackupError("no migrations found")
    return head


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # pages=-1: the whole database in one step, one consistent snapshot. A stepwise copy
    # restarts whenever another connection writes, so under steady writes it may never end.
    source.backup(target, pages=-1)


def backup(uri: str, dest: Path) -> str:
    """Write a consistent copy of the database at ``uri`` to ``dest``; return a summary."""
    path = sqlite_path(uri)
    if not path.exists():
        raise BackupError(f"there is no database at {path}")
    dest = Path(dest)
    if dest.resolve() == path.resolve():
        raise BackupError("the backup must not be written over the database itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    source = sqlite3.connect(path, timeout=30)
    try:
        target = sqlite3.connect(part)
        try:
            _copy(source, target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            target.commit()
        finally:
            target.close()
    finally:
        source.close()
    try:
        summary = check_backup(part)
    except BackupError:
        part.unlink(missing_ok=True)
        raise
    os.chmod(part, 0o600)  # it holds safeguarding records
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, dest)
    return f"Backed up to {dest}: {summary}"


def _describe(conn: sqlite3.Connection) -> tuple[str, dict[str, int]]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupError("this is not a database of this platform (no "
                          f"{', '.join(missing)} table)")
    versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
              for t in ("schools", "users", "worries", "worry_entries")}
    return ",".join(versions), counts


def check_backup(path: Path) -> str:
    """Refuse a file that is damaged, not ours, or at another schema; else describe it."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise BackupError(f"{path} is not a backup file")
    try:
        conn = _read_only(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from None
    try:
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc):
                raise BackupError(f"{path} is damaged ({exc})") from None
            raise BackupError(f"{path} is not an SQLite database ({exc})") from None
        if result != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(result[:5])}")
        try:
            version, counts = _describe(conn)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is damaged ({exc})") from None
    finally:
        conn.close()
    expected = expected_revision()
    if version != expected:
        raise BackupError(f"{path} is at schema version {version or 'none'}, but this version "
                          f"of the platform expects {expected}: restore it with the release "
                          "that made it, then upgrade (docs/deployment.md)")
    return (f"schema {version}, {counts['schools']} school(s), {counts['users']} account(s), "
            f"{counts['worries']} worries, {counts['worry_entries']} worry entries")


def restore(uri: str, source_path: Path) -> str:
    """Replace the database at ``uri`` with the checked backup; keep the old one beside it."""
    path = sqlite_path(uri)
    summary = check_backup(source_path)
    kept = None
    if path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.before-restore-{stamp}")
        backup(uri, kept)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = _read_only(Path(source_path))
    try:
        target = sqlite3.connect(path, timeout=30)
        try:
            _copy(source, target)
        finally:
            target.close()
    finally:
        source.close()
    after = sqlite3.connect(path)
    try:
        if [r[0] for r in after.execute("PRAGMA integrity_check")] != ["ok"]:
            raise BackupError(f"the restored database failed its check; the previous one is "
                              f"kept at {kept}")
    finally:
        after.close()
    where = f"; the previous database is kept at {kept}" if kept else ""
    return f"Restored {path} from {source_path}: {summary}{where}"
