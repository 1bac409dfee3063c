"""Everyone who signs in: one account row each, with a pupil profile or staff roles."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..content.model import band_for_year
from ..db import Base, UTCDateTime, utcnow
from .school import School, SchoolClass

ROLES = ("teacher", "safeguarding_lead", "deputy_lead", "school_admin")
ROLE_NAMES = {
    "teacher": "Teacher",
    "safeguarding_lead": "Safeguarding lead",
    "deputy_lead": "Deputy safeguarding lead",
    "school_admin": "School admin",
}
# Who reads worries and receives alerts: the designated lead and their deputies.
LEAD_ROLES = ("safeguarding_lead", "deputy_lead")
KINDS = ("pupil", "staff", "parent")


class User(UserMixin, Base):
    """A sign-in account. Pupils hold only a first name and surname initial (see Pupil)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("kind IN ('pupil', 'staff', 'parent')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    enabled: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised to end every live session of the account at once (deactivation, new password,
    # leaving): the session holds "id.version" and a stale version signs nobody in.
    session_version: Mapped[int] = mapped_column(default=0)
    # A first-time password given by the school: the person chooses their own on sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Two-step sign-in (TOTP, RFC 6238): the shared secret, and the last time step accepted
    # so a code seen over a shoulder cannot be used again (docs/security.md).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[School] = relationship()
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )  # loaded on first use: pupils and parents never need it
    pupil: Mapped[Pupil | None] = relationship(back_populates="user", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account or a pupil who left
        if not self.enabled:
            return False
        return self.pupil is None or self.pupil.status == "active"

    def get_id(self) -> str:  # Flask-Login: the session remembers the session version too
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session of this account signs out on its next request."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return self.kind == "staff" and bool(self.role_names & set(roles))

    @property
    def is_pupil(self) -> bool:
        return self.kind == "pupil"

    @property
    def agreement_key(self) -> str:
        if self.kind == "pupil" and self.pupil is not None:
            return f"pupil-{self.pupil.band}"
        return self.kind


class StaffRole(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(
            "role IN ('teacher', 'safeguarding_lead', 'deputy_lead', 'school_admin')",
            name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="roles")


class ClassTeacher(Base):
    __tablename__ = "class_teachers"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Pupil(Base):
    """The least a school needs: first name, surname initial, year group, class, status."""

    __tablename__ = "pupils"
    __table_args__ = (
        CheckConstraint("year_group BETWEEN 1 AND 6", name="year_group_range"),
        CheckConstraint("status IN ('active', 'left')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    first_name: Mapped[str] = mapped_column(String(40))
    # Usually one letter; two or three when two pupils of a class would otherwise look alike.
    surname_initial: Mapped[str] = mapped_column(String(3))
    year_group: Mapped[int]
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Three picture names, e.g. "cat,sun,tree". Given by the system; see docs/architecture.md,
    # decision 3.
    picture_code: Mapped[str | None] = mapped_column(String(40))
    # A keyed hash of the full name as the school's system spells it (the surname itself is
    # never stored): how an import recognises a pupil already here. See docs/admin.md.
    name_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # The first-time password on the pupil's login card, kept only until the pupil chooses
    # their own (or for good where the class does not choose): teachers reprint cards.
    card_password: Mapped[str | None] = mapped_column(String(40))
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="pupil")
    school_class: Mapped[SchoolClass] = relationship()
    # loaded with the pupil (who is loaded with the user): no extra query per page
    settings: Mapped[PupilSettings | None] = relationship(lazy="joined")

    @property
    def band(self) -> str:
        return band_for_year(self.year_group)

    @property
    def short_name(self) -> str:
        return f"{self.first_name} {self.surname_initial}."


class ParentLink(Base):
    """A parent's link to their own child, made with a family link code the school issued."""

    __tablename__ = "parent_links"
    __table_args__ = (UniqueConstraint("parent_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[User] = relationship(foreign_keys=[parent_id])
    pupil: Mapped[Pupil] = relationship()


class AgreementAcceptance(Base):
    """Who accepted which acceptable use agreement (and version), and when."""

    __tablename__ = "agreement_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "agreement", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agreement: Mapped[str] = mapped_column(String(30))
    version: Mapped[int]
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TEXT_SIZES = {"normal": "Normal", "large": "Large", "larger": "Extra large"}
FONTS = {"standard": "Standard", "dyslexic": "Dyslexia-friendly (OpenDyslexic)"}
OVERLAYS = {"none": "No tint", "yellow": "Yellow", "blue": "Blue", "green": "Green",
            "pink": "Pink", "peach": "Peach", "grey": "Grey"}


class PupilSettings(Base):
    """How a pupil likes to see the site; kept with the pupil so it follows them to any device."""

    __tablename__ = "pupil_settings"

    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    text_size: Mapped[str] = mapped_column(String(10), default="normal")
    font: Mapped[str] = mapped_column(String(10), default="standard")
    overlay: Mapped[str] = mapped_column(String(10), default="none")
    high_contrast: Mapped[bool] = mapped_column(default=False)
    reduced_motion: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def body_classes(self) -> str:
        classes = [f"text-{self.text_size}", f"font-{self.font}"]
        if self.overlay != "none":
            classes.append(f"overlay overlay-{self.overlay}")
        if self.high_contrast:
            classes.append("contrast-high")
        if self.reduced_motion:
            classes.append("motion-reduced")
        return " ".join(classes)
