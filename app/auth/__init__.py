from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import home_views, views  # noqa: E402,F401
