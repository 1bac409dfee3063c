"""Module-level extension objects, attached to the app in create_app()."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in first."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

if TYPE_CHECKING:
    from .content.model import Catalogue
    from .models import User


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The session holds "<user id>.<session version>" (User.get_id): a session from before
    a sign-out everywhere, a new password or a deactivation no longer signs anyone in."""
    from .db import db
    from .models import User

    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # The ordinary ORM: the mapping joins the pupil and their settings eagerly, and
    # SQLAlchemy caches the compiled statement; no benchmark in bench/ shows a hand-built,
    # cached statement to be worth keeping here (issue 16, point 6).
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def catalogue() -> Catalogue:
    """The course loaded at start-up (create_app), typed for the views."""
    from flask import current_app

    return cast("Catalogue", current_app.extensions["catalogue"])
