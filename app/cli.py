"""flask commands: init-db, seed-demo, check-content, send-outbox, worry-reminders."""

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
    """Validate every lesson and quiz: one line per problem and exit 1, or a count and exit 0."""
    import os

    root = content_dir or Path(os.environ.get("FLASK_CONTENT_DIR", REPO_ROOT))
    try:
        catalogue = load_catalogue(root)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        sys.exit(1)
    counts = {band: len(lessons) for band, lessons in catalogue.by_band.items()}
    questions = sum(len(x.quiz.questions) for x in catalogue.lessons.values())
    click.echo(f"Content OK: {len(catalogue)} lessons (KS1 {counts['ks1']}, KS2 {counts['ks2']}),"
               f" {len(catalogue)} quizzes, {questions} questions.")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database to the newest schema (Alembic)."""
    from .migrate import upgrade

    upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo school (Demo Primary); running it again adds nothing twice."""
    from .demo import DEMO_TOTP_SECRETS, seed_demo

    summary = seed_demo()
    click.echo(f"Demo Primary ready ({summary.created} new rows).")
    click.echo("Two-step sign-in for the demo (add the key to any authenticator app):")
    for username, secret in DEMO_TOTP_SECRETS.items():
        click.echo(f"  {username}: {secret}")


@click.command("send-outbox")
@with_appcontext
def send_outbox_command() -> None:
    """Send emails waiting in the outbox (run from cron every minute)."""
    from .worries.mail import deliver_outbox, smtp_configured

    if not smtp_configured(current_app):
        click.echo("SMTP is not configured (set FLASK_SMTP_HOST); nothing sent.")
        return
    sent, failed = deliver_outbox(current_app)
    click.echo(f"Sent {sent}, failed {failed} (failed messages are retried later).")


@click.command("worry-reminders")
@with_appcontext
def worry_reminders_command() -> None:
    """Remind leads of worries still unread after WORRY_REMINDER_MINUTES (run from cron)."""
    from .worries.mail import deliver_outbox
    from .worries.service import enqueue_reminders

    queued = enqueue_reminders()
    sent, failed = deliver_outbox(current_app)
    click.echo(f"Queued {queued} reminder(s); sent {sent}, failed {failed}.")


def register(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(check_content_command)
    app.cli.add_command(send_outbox_command)
    app.cli.add_command(worry_reminders_command)
