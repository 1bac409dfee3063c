"""/healthz for a load balancer or monitor, and the "alerts are not delivered" warning."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..db import db, utcnow
from ..worries import mail
from . import bp


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    """200 when the database answers and the course is loaded, 503 otherwise.

    The outbox figures are reported, not judged: a stuck sender must not take the web servers
    out of a load balancer. Monitors alert on ``outbox_late``. No personal data.
    """
    catalogue = current_app.extensions.get("catalogue")
    body: dict[str, Any] = {"content_loaded": bool(catalogue), "lessons": len(catalogue or ()),
                  "database": False, "outbox_oldest_unsent_seconds": None,
                  "outbox_failing": None, "outbox_late": None}
    try:
        db.session.execute(text("SELECT 1"))
        age = mail.oldest_unsent_age()
        body.update(database=True, outbox_failing=mail.failing_count(),
                    outbox_oldest_unsent_seconds=None if age is None else round(age, 1),
                    outbox_late=age is not None and mail.smtp_configured(current_app) and
                    age > float(mail.setting(current_app, "OUTBOX_LATE_SECONDS")))
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database unreachable: %s", type(exc).__name__)
    ok = body["database"] and body["content_loaded"]
    body["status"] = "ok" if ok else "unavailable"
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def format_since(moment: datetime, now: datetime | None = None) -> str:
    """HH:MM in the school's time zone; with the day when it was not today."""
    zone = ZoneInfo(current_app.config.get("SCHOOL_TIMEZONE") or "UTC")
    local, today = moment.astimezone(zone), (now or utcnow()).astimezone(zone)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%H:%M on %-d %b")


@bp.app_template_global()
def delivery_warning() -> str | None:
    """For school admins and leads only: since when their school's alerts are not delivered."""
    if not (current_user.is_authenticated
            and current_user.has_role("safeguarding_lead", "school_admin")):
        return None
    try:
        since = mail.delivery_problem(current_user.school_id)
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return None if since is None else format_since(since)
