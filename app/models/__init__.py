"""All tables; import from here so Alembic and the app see the same metadata."""

from .people import (
    KINDS,
    ROLE_NAMES,
    ROLES,
    AgreementAcceptance,
    ClassTeacher,
    ParentLink,
    Pupil,
    StaffRole,
    User,
)
from .progress import LessonProgress, QuizAnswer, ScenarioChoice
from .school import School, SchoolClass
from .worries import (
    ABOUT,
    ACTIONS,
    ENTRY_KINDS,
    FEELINGS,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
    AppendOnlyError,
    AuditEvent,
    OutboxEmail,
    Worry,
    WorryEntry,
)

__all__ = [
    "ABOUT", "ACTIONS", "ENTRY_KINDS", "FEELINGS", "STATUSES", "URGENCIES", "WORRY_KINDS",
    "AppendOnlyError", "AuditEvent", "OutboxEmail", "Worry", "WorryEntry",
    "KINDS", "ROLES", "ROLE_NAMES", "AgreementAcceptance", "ClassTeacher", "LessonProgress",
    "ParentLink", "Pupil", "QuizAnswer", "ScenarioChoice", "School", "SchoolClass", "StaffRole",
    "User",
]
