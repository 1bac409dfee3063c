"""Running a school: staff and roles, classes, pupils and CSV import, login cards, family
link codes, leavers, the new school year and the audit of every change (DESIGN.md section 4).

School admins manage everything here; teachers manage the pupils of their own classes.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Carers redeem a family link code here: the one part of this area that is not for staff.
join_bp = Blueprint("join", __name__, url_prefix="/join")

from . import family_views, views  # noqa: E402,F401  (routes register on the blueprints)
