"""Learning at home: a KS1 pupil's home card, and a family's own agreement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class HomeCard(Base):
    """A printed card that turns on picture sign-in for one KS1 pupil on a family's device.

    Only a keyed hash of the card's code is kept; a new card for the pupil revokes this one,
    and every device it turned on stops offering the pupil's pictures.
    """

    __tablename__ = "home_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the school sees a card in use: devices turned on with it, and the last sign-in.
    devices: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


class FamilyAgreement(Base):
    """The rules one family chose and wrote for home, seen only by that family's account."""

    __tablename__ = "family_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # {"section key": ["rule", ...]} in the order the family set them out
    rules: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    family_name: Mapped[str] = mapped_column(String(60), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
