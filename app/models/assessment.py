"""Set work, pupil groups, lesson release per class and teacher judgements.

Like progress, these point at lessons and "I can" statements by slug and id, never by foreign
key, so content files can change without a migration.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

TARGETS = {"class": "The whole class", "group": "A group", "pupils": "Chosen pupils"}
WORK_KINDS = {"lesson": "The lesson", "baseline": "A baseline check (the quiz before teaching)"}
RELEASE_STATES = {"released": "Released early", "held": "Held back"}
LEVELS = {
    "secure": "Secure",
    "developing": "Developing",
    "emerging": "Emerging",
    "misconception": "Shows a misconception",
}


class PupilGroup(Base):
    """A teaching group inside one class (for example the pupils who share a misconception)."""

    __tablename__ = "pupil_groups"
    __table_args__ = (UniqueConstraint("class_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PupilGroupMember(Base):
    __tablename__ = "pupil_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("pupil_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True,
                                          index=True)


class Assignment(Base):
    """One lesson (or its baseline check) set to a class, a group or chosen pupils."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("target IN ('class', 'group', 'pupils')", name="target"),
        CheckConstraint("kind IN ('lesson', 'baseline')", name="kind"),
        CheckConstraint("due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on",
                        name="due_after_start"),
        Index("ix_assignments_class_created", "class_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="lesson")
    target: Mapped[str] = mapped_column(String(10), default="class")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("pupil_groups.id",
                                                            ondelete="SET NULL"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentPupil(Base):
    """The chosen pupils of an assignment whose target is "pupils"."""

    __tablename__ = "assignment_pupils"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True, index=True)


class LessonRelease(Base):
    """A class's exception to the year rule: a later lesson released early, or one held back."""

    __tablename__ = "lesson_releases"
    __table_args__ = (
        UniqueConstraint("class_id", "lesson_slug"),
        CheckConstraint("state IN ('released', 'held')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(10))
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LevelOverride(Base):
    """A teacher's judgement of one "I can" statement for one pupil. Kept, never overwritten:
    the latest counts, and the derived level stays beside it."""

    __tablename__ = "level_overrides"
    __table_args__ = (
        CheckConstraint("level IN ('secure', 'developing', 'emerging', 'misconception')",
                        name="level"),
        Index("ix_level_overrides_pupil", "pupil_id", "lesson_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    statement_id: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(15))
    note: Mapped[str] = mapped_column(String(200), default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
