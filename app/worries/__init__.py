from flask import Blueprint

bp = Blueprint("worries", __name__)

from . import views  # noqa: E402,F401


def _lead_names(school_id: int) -> str:
    """Who reads worries at this school, by name (the help box after a lesson names them)."""
    from .service import lead_names

    return lead_names(school_id)


bp.add_app_template_global(_lead_names, "lead_names")
