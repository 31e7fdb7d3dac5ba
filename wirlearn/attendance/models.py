"""Attendance per session and enrollment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.core.dbtypes import enum_check
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

ATTENDANCE_STATUSES = ("present", "late", "excused", "absent")


class Attendance(db.Model):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    # The roster version in which this row last changed: tells a refused save which rows moved.
    roster_version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("session_id", "enrollment_id"),
        CheckConstraint(enum_check("status", ATTENDANCE_STATUSES), name="status_known"),
    )


class RosterSubmission(db.Model):
    """Each roster form carries a one-time key; a key seen before means a double submit."""

    __tablename__ = "roster_submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
