"""Learning progress, keyed by content slug so content can change without a migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("pupil_id", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    step_reached: Mapped[int] = mapped_column(default=0)  # furthest position index reached
    current: Mapped[str] = mapped_column(String(100))  # "step:<id>", "quiz:<id>" or "done"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAnswer(Base):
    """Every answer a pupil gives to a quiz question, right or wrong, each attempt."""

    __tablename__ = "quiz_answers"
    __table_args__ = (Index("ix_quiz_answers_pupil_lesson", "pupil_id", "lesson_slug"),
                      Index("ix_quiz_answers_sent", "pupil_id", "client_token", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    question_id: Mapped[str] = mapped_column(String(80))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    correct: Mapped[bool]
    misconception: Mapped[str | None] = mapped_column(String(80))
    attempt: Mapped[int] = mapped_column(default=1)
    # The pupil's first answer to this question after the lesson's teaching: what assessment
    # counts. Retries and the shown answer still teach but are not scored.
    first_try: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Given in a baseline check (the quiz before teaching): compared, never scored.
    baseline: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The token of the page the answer was sent from: sent again (a dropped connection, a
    # second tap), it is the same answer, not another try.
    client_token: Mapped[str | None] = mapped_column(String(32))


class ScenarioChoice(Base):
    __tablename__ = "scenario_choices"
    __table_args__ = (Index("ix_scenario_choices_pupil_lesson", "pupil_id", "lesson_slug"),
                      Index("ix_scenario_choices_sent", "pupil_id", "client_token",
                            unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    step_id: Mapped[str] = mapped_column(String(80))
    choice: Mapped[str] = mapped_column(String(4))
    safe: Mapped[bool]
    misconception: Mapped[str | None] = mapped_column(String(80))
    first_try: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_token: Mapped[str | None] = mapped_column(String(32))  # as for quiz answers
