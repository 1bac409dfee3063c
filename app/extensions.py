"""Module-level extension objects, attached to the app in create_app()."""

from functools import cache

from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in first."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@cache
def _user_query():
    """Built once: every signed-in request loads its user (with the pupil and their display
    settings, joined eagerly by the mapping), so the statement is not rebuilt each time."""
    from sqlalchemy import bindparam, select

    from .models import User

    return select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def _load_user(session_id: str):
    """The session holds "<user id>.<session version>" (User.get_id): a session from before
    a sign-out everywhere, a new password or a deactivation no longer signs anyone in."""
    from .db import db

    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.execute(_user_query(), {"user_id": int(user_id)}).unique().scalar()
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user
