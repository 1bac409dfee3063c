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
def _load_user(user_id: str):
    from .db import db

    if not user_id.isdigit():
        return None
    user = db.session.execute(_user_query(), {"user_id": int(user_id)}).unique().scalar()
    return user if user is not None and user.is_active else None
