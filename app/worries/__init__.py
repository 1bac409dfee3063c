from flask import Blueprint

bp = Blueprint("worries", __name__)

from . import views  # noqa: E402,F401
