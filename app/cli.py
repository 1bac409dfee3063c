"""flask commands: init-db, seed-demo, check-content, send-outbox, worry-reminders, backup,
restore."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .config import REPO_ROOT
from .content import ContentError, load_catalogue


@click.command("check-content")
@click.option("--content-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder holding lessons/, quizzes/ and static/img/lessons/.")
def check_content_command(content_dir: Path | None) -> None:
    """Validate every lesson and quiz and the course rules (app/content/checks.py): one line
    per problem and exit 1, or a count and the per-band and per-year statistics and exit 0."""
    import os

    root = content_dir or Path(os.environ.get("FLASK_CONTENT_DIR", REPO_ROOT))
    try:
        catalogue = load_catalogue(root)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        sys.exit(1)
    from .content.checks import all_problems, report_lines

    rule_problems = all_problems(catalogue, root)
    for line in rule_problems:
        click.echo(line)
    if rule_problems:
        click.echo(f"{len(rule_problems)} problem(s) found.", err=True)
        sys.exit(1)
    counts = {band: len(lessons) for band, lessons in catalogue.by_band.items()}
    questions = sum(len(x.quiz.questions) for x in catalogue.lessons.values())
    click.echo(f"Content OK: {len(catalogue)} lessons (KS1 {counts['ks1']}, KS2 {counts['ks2']}),"
               f" {len(catalogue)} quizzes, {questions} questions.")
    for line in report_lines(catalogue, root):
        click.echo(line)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database to the newest schema (Alembic)."""
    from .migrate import upgrade

    upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("Database is up to date.")


def db_commit() -> None:
    from .db import db

    db.session.commit()


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo school (Demo Primary); running it again adds nothing twice."""
    from .demo import DEMO_TOTP_SECRETS, seed_demo
    from .worries.demo import seed_closed_cases

    summary = seed_demo()
    cases = seed_closed_cases()  # not in the tests' seed: they start with no worries
    db_commit()
    click.echo(f"Demo Primary ready ({summary.created} new rows).")
    if cases:
        click.echo(f"Added {cases} closed safeguarding case(s) for the reports.")
    click.echo("Two-step sign-in for the demo (add the key to any authenticator app):")
    for username, secret in DEMO_TOTP_SECRETS.items():
        click.echo(f"  {username}: {secret}")


@click.command("create-school")
@click.argument("name")
@click.option("--admin", "admin_username", required=True,
              help="Username of the school's first admin (lower case).")
@click.option("--admin-name", default=None, help="The admin's name as others see it.")
@with_appcontext
def create_school_command(name: str, admin_username: str, admin_name: str | None) -> None:
    """Create a school and its first admin; the one-time password is printed once."""
    from .admin.errors import Refused
    from .admin.schools import create_school
    from .db import db

    try:
        school, password = create_school(name, admin_username, admin_name)
    except Refused as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created {school.name}.")
    click.echo(f"First admin: {admin_username.strip().lower()}")
    click.echo(f"One-time password: {password}")
    click.echo("It is shown only now. Sign in with it and choose your own password; then add "
               "your staff, classes and pupils under Admin.")


@click.command("send-outbox")
@click.option("--watch", is_flag=True,
              help="Keep running: send every few seconds and queue reminders on schedule; "
                   "stops cleanly on SIGTERM or Ctrl+C.")
@click.option("--poll", type=float, default=None,
              help="Seconds between looks at the outbox with --watch "
                   "(default OUTBOX_POLL_SECONDS, 5).")
@with_appcontext
def send_outbox_command(watch: bool, poll: float | None) -> None:
    """Send the emails waiting in the outbox: once, or as the sender service with --watch.

    Several senders may run at once (hosts, cron overlapping): each email goes out once.
    """
    from .worries.mail import deliver_outbox, smtp_configured

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not smtp_configured(app):
        click.echo("SMTP is not configured (set FLASK_SMTP_HOST); nothing sent.")
        return
    if watch:
        _watch(app, poll)
        return
    sent, failed = deliver_outbox(app)
    click.echo(f"Sent {sent}, failed {failed} (failed messages are retried later).")


def _watch(app: Flask, poll: float | None) -> None:
    import signal
    import threading

    from .ops.logs import setup_logging
    from .worries.mail import watch

    setup_logging(app)
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:  # finish the message in hand, then leave
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        watch(app, stop, poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Sender stopped.")


@click.command("worry-reminders")
@with_appcontext
def worry_reminders_command() -> None:
    """Remind leads of unread worries now (`send-outbox --watch` already does this on schedule)."""
    from .worries.mail import deliver_outbox, queue_reminders

    queued = queue_reminders()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sent, failed = deliver_outbox(app)
    click.echo(f"Queued {queued} reminder(s); sent {sent}, failed {failed}.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH while the site runs."""
    from .ops.backup import BackupError, backup

    try:
        summary = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary)


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Check the backup at PATH and put it in place of the SQLite database (stop the site first)."""
    from .ops.backup import BackupError, check_backup, restore

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        found = check_backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(found)
    if not yes:
        click.confirm("Replace the current database with this backup?", abort=True)
    db_engine_dispose()
    try:
        summary = restore(uri, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary)


def db_engine_dispose() -> None:
    """Close this process's connections before the file under them is replaced."""
    from .db import db

    db.session.remove()
    db.engine.dispose()


def register(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_school_command)
    app.cli.add_command(check_content_command)
    app.cli.add_command(send_outbox_command)
    app.cli.add_command(worry_reminders_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
