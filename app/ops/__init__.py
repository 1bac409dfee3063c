"""Operations: /healthz for monitors, structured request logs, backup and restore."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import health  # noqa: E402,F401  (routes and the delivery warning global)
from .logs import setup_logging  # noqa: E402

__all__ = ["bp", "setup_logging"]
