"""Dates in the school's time zone, for the teacher pages (see app/schooltime.py)."""

from ..schooltime import local_date, school_date
from ..schooltime import today as school_today
from ..schooltime import zone as school_zone

__all__ = ["local_date", "school_date", "school_today", "school_zone"]
