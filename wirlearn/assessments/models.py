"""Assessments per module and enrollment; a re-assessment adds a row, history stays."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.core.dbtypes import enum_check
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

ASSESSMENT_RESULTS = ("passed", "failed")


class Assessment(db.Model):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    # 1 for the first assessment; the highest attempt is the current result.
    attempt: Mapped[int] = mapped_column(default=1)
    result: Mapped[str] = mapped_column(String(10))
    points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    feedback: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("module_id", "enrollment_id", "attempt"),
        CheckConstraint(enum_check("result", ASSESSMENT_RESULTS), name="result_known"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("points IS NULL OR points >= 0", name="points_positive"),
    )
