from flask import Blueprint

bp = Blueprint("teach", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401
