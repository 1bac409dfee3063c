from typing import Any

from flask import Blueprint

bp = Blueprint("worries", __name__)

from . import views  # noqa: E402,F401


def _lead_names(school_id: int) -> str:
    """Who reads worries at this school, by name (the help box after a lesson names them)."""
    from .service import lead_names

    return lead_names(school_id)


bp.add_app_template_global(_lead_names, "lead_names")


def _school_age(moment: object, on: object = None) -> str:
    """How long ago on the school's clock: "today", "yesterday", else the date."""
    from datetime import date, datetime, timedelta

    from ..schooltime import local_date, school_date, today

    day = local_date(moment) if isinstance(moment, (date, datetime)) else None
    if day is None:
        return ""
    on = on if isinstance(on, date) else today()
    if day == on:
        return "today"
    if day == on - timedelta(days=1):
        return "yesterday"
    return school_date(day)


def _desk_summary() -> object:
    """A lead's home: unread worries and overdue actions (None for anyone else)."""
    from flask_login import current_user

    from .desk import desk_summary

    return desk_summary(current_user)


bp.add_app_template_filter(_school_age, "school_age")
bp.add_app_template_global(_desk_summary, "lead_desk")


def _page_link(number: int) -> str:
    """This list's address at another page, keeping its filters."""
    from flask import request, url_for

    values: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    values.update(request.view_args or {}, page=number)
    return url_for(request.endpoint or "", **values)


bp.add_app_template_global(_page_link, "page_link")
