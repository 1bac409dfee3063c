from flask import Blueprint

bp = Blueprint("family", __name__, url_prefix="/family")

from . import views  # noqa: E402,F401
