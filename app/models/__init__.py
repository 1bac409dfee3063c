"""All tables; import from here so Alembic and the app see the same metadata."""

from .admin import AdminAudit, FamilyLinkCode, ImportBatch, Throttle
from .assessment import (
    LEVELS,
    RELEASE_STATES,
    TARGETS,
    WORK_KINDS,
    Assignment,
    AssignmentPupil,
    LessonRelease,
    LevelOverride,
    PupilGroup,
    PupilGroupMember,
)
from .family import FamilyAgreement, HomeCard
from .people import (
    FONTS,
    KINDS,
    LEAD_ROLES,
    OVERLAYS,
    ROLE_NAMES,
    ROLES,
    TEXT_SIZES,
    AgreementAcceptance,
    ClassTeacher,
    ParentLink,
    Pupil,
    PupilSettings,
    StaffRole,
    User,
)
from .progress import LessonProgress, QuizAnswer, ScenarioChoice
from .school import School, SchoolClass
from .twostep import RecoveryCode
from .worries import (
    ABOUT,
    ACTIONS,
    CHILD_STATUSES,
    ENTRY_KINDS,
    FEELINGS,
    HANDOVER_METHODS,
    REFERRER_STATUSES,
    REPLIES,
    SHARE_LIMIT,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
    AppendOnlyError,
    AuditEvent,
    LeadAbsence,
    OutboxEmail,
    TransferRecord,
    Worry,
    WorryEntry,
)

__all__ = [
    "AdminAudit", "FamilyLinkCode", "ImportBatch", "Throttle", "LEAD_ROLES",
    "LEVELS", "RELEASE_STATES", "TARGETS", "WORK_KINDS", "Assignment", "AssignmentPupil",
    "LessonRelease", "LevelOverride", "PupilGroup", "PupilGroupMember",
    "FONTS", "OVERLAYS", "TEXT_SIZES", "PupilSettings",
    "ABOUT", "ACTIONS", "ENTRY_KINDS", "FEELINGS", "STATUSES", "URGENCIES", "WORRY_KINDS",
    "AppendOnlyError", "AuditEvent", "OutboxEmail", "Worry", "WorryEntry",
    "KINDS", "ROLES", "ROLE_NAMES", "AgreementAcceptance", "ClassTeacher", "LessonProgress",
    "ParentLink", "Pupil", "QuizAnswer", "RecoveryCode", "ScenarioChoice", "School",
    "SchoolClass", "StaffRole", "User",
    "FamilyAgreement", "HomeCard",
    "CHILD_STATUSES", "REFERRER_STATUSES", "REPLIES", "SHARE_LIMIT", "LeadAbsence",
    "HANDOVER_METHODS", "TransferRecord",
]
