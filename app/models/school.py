from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..content.model import band_for_year
from ..db import Base, UTCDateTime, utcnow


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # The school year the classes are in now: 2026 means 2026-27 (set by the year rollover).
    academic_year: Mapped[int | None]
    # Two-step sign-in is always required for leads, deputies and admins; a school may ask
    # it of teachers too. Alert emails say only "something to read" unless the school opts
    # in to naming the kind of worry.
    two_step_for_teachers: Mapped[bool] = mapped_column(default=False)
    alerts_name_kind: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    classes: Mapped[list[SchoolClass]] = relationship(
        back_populates="school", order_by="SchoolClass.year_group, SchoolClass.name"
    )


class SchoolClass(Base):
    """A class of pupils; its year group decides the band (Years 1-2 KS1, 3-6 KS2)."""

    __tablename__ = "school_classes"
    __table_args__ = (
        UniqueConstraint("school_id", "name"),
        CheckConstraint("year_group BETWEEN 1 AND 6", name="year_group_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    year_group: Mapped[int]
    # KS2 pupils choose their own password at first sign-in unless the teacher turns it off.
    pupils_choose_password: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[School] = relationship(back_populates="classes")

    @property
    def band(self) -> str:
        return band_for_year(self.year_group)
