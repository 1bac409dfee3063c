"""Friendly error pages; never a stack trace to a user."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError


def register(app: Flask) -> None:
    def page(code: int, title: str, message: str,
             home: str = "Go to my home page") -> tuple[str, int]:
        return render_template("errors/error.html", code=code, title=title,
                               message=message, home=home), code

    def for_role(code: int) -> tuple[str, int]:
        from flask_login import current_user

        from .errorwords import words_for

        words = words_for(code, current_user)
        return page(code, words.title, words.message, words.home)

    register_client_errors(app, page)

    @app.errorhandler(403)
    def forbidden(e: Exception) -> ResponseReturnValue:
        return for_role(403)

    @app.errorhandler(404)
    def not_found(e: Exception) -> ResponseReturnValue:
        return for_role(404)

    @app.errorhandler(OperationalError)
    def database_unavailable(e: Exception) -> ResponseReturnValue:
        """The database is down or unreachable: a calm page, a retry hint, never a 500."""
        from .db import db

        app.logger.warning("database unavailable: %s", type(getattr(e, "orig", e)).__name__)
        try:
            db.session.rollback()
        except OperationalError:
            pass
        # Rendered without the context processors: they read the signed-in user from the
        # database that is not there.
        html = app.jinja_env.get_template("ops/unavailable.html").render(path=request.path)
        return html, 503, {"Retry-After": "30"}
    register_database_errors(app, page)
    register_untrusted_host(app)

    @app.errorhandler(500)
    def server_error(e: Exception) -> ResponseReturnValue:
        _rollback()  # the error page must not reuse a failed transaction (PostgreSQL)
        return page(500, "Sorry, something went wrong",
                    "It was our mistake, not yours. Please try again, or tell a grown-up.")


def register_client_errors(app: Flask, page: Callable[..., tuple[str, int]]) -> None:
    """What the browser sent could not be used: a bad form, an old page, too much."""
    @app.errorhandler(400)
    def bad_request(e: Exception) -> ResponseReturnValue:
        return page(400, "Something was not quite right",
                    "We could not use what was sent from that page. Please go back and try "
                    "again.")

    @app.errorhandler(CSRFError)
    def csrf_error(e: Exception) -> ResponseReturnValue:
        return page(400, "Please try that again",
                    "The page was open for a long time, so we could not accept the form. "
                    "Go back, reload the page and try once more.")

    @app.errorhandler(405)
    def not_allowed(e: Exception) -> ResponseReturnValue:
        return page(405, "That did not work", "Please use the buttons on the page.")

    @app.errorhandler(413)
    def too_large(e: Exception) -> ResponseReturnValue:
        if request.endpoint == "admin.import_upload":
            from .admin.importer import TOO_LARGE

            return page(413, "That file is too large", TOO_LARGE)
        return page(413, "That was too much", "What you sent was too long. Please shorten it.")


def _rollback() -> None:
    from .db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page is shown whatever the database says
        pass


def register_database_errors(app: Flask, page: Callable[[int, str, str], tuple[str, int]]
                             ) -> None:
    """A value the database cannot hold (a number out of range, a malformed one) is a bad
    request, answered with our own page after the failed transaction is rolled back."""
    from sqlalchemy.exc import DataError

    @app.errorhandler(DataError)
    def data_error(e: Exception) -> ResponseReturnValue:
        _rollback()
        app.logger.warning("refused a value the database cannot hold (%s)",
                           type(getattr(e, "orig", e)))
        return page(400, "Something was not quite right",
                    "That request did not make sense to us. Please go back and try again.")


def register_untrusted_host(app: Flask) -> None:
    """A Host header outside TRUSTED_HOSTS: no URL can be built for it, so the page is a
    plain one of its own (still with our headers: CSP, no-store)."""
    from werkzeug.exceptions import SecurityError

    @app.errorhandler(SecurityError)
    def untrusted_host(e: Exception) -> ResponseReturnValue:
        return render_template("errors/host.html"), 400
