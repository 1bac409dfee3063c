from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn")

from . import views  # noqa: E402,F401
