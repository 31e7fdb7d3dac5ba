"""The shape of a programme: regions, series, modules, sessions and enrollments."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wirlearn.core.dbtypes import enum_check
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

if TYPE_CHECKING:
    from wirlearn.auth.models import User

REGION_KINDS = ("Landkreis", "kreisfreie Stadt", "Sonderstatusstadt")
ASSESSMENT_KINDS = ("pass_fail", "points")
ENROLLMENT_STATUSES = ("active", "withdrawn", "completed")


class Region(db.Model):
    """A Gebietskörperschaft (Landkreis, kreisfreie Stadt or Sonderstatusstadt)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Amtlicher Kreisschlüssel; Sonderstatusstädte have none of their own.
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    regierungsbezirk: Mapped[str] = mapped_column(String(60))
    part_of: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (CheckConstraint(enum_check("kind", REGION_KINDS), name="kind_known"),)


class Series(db.Model):
    """A Qualifizierungsreihe with its completion rules."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    certificate_title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Who hands the certificate over (for example the ministry); printed beside the provider.
    issuer_name: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    # Completion rules (percentages are whole numbers 0..100).
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    min_module_attendance_percent: Mapped[int | None]
    excused_counts: Mapped[bool] = mapped_column(default=False)
    late_counts: Mapped[bool] = mapped_column(default=True)
    # Certificates
    validity_months: Mapped[int | None]
    auto_issue: Mapped[bool] = mapped_column(default=False)
    # Reminder e-mails go out the day before a session from this hour (local time); None: none.
    # No column default: an explicit None must stay None (create_series fills in 17).
    reminder_hour: Mapped[int | None]
    # Self check-in: who checks in more than this many minutes after the start is "late".
    checkin_late_after_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # Late enrolment: whether sessions held before someone's enrolment date count for them
    # (as absences unless recorded); default: they count neither way.
    sessions_before_enrollment_count: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="series", order_by="(Module.position, Module.id)", cascade="all, delete-orphan"
    )
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="series")

    __table_args__ = (
        CheckConstraint("min_attendance_percent BETWEEN 0 AND 100", name="min_attendance_range"),
        CheckConstraint(
            "min_module_attendance_percent IS NULL OR min_module_attendance_percent BETWEEN 0 AND 100",
            name="min_module_attendance_range",
        ),
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_positive"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        CheckConstraint("reminder_hour IS NULL OR reminder_hour BETWEEN 0 AND 23", name="reminder_hour_range"),
        CheckConstraint("checkin_late_after_minutes BETWEEN 0 AND 600", name="checkin_late_after_range"),
    )


class Module(db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    teaching_units: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    assessment_kind: Mapped[str] = mapped_column(String(20), default="pass_fail")
    max_points: Mapped[int | None]
    pass_mark: Mapped[int | None]
    # Grows with every saved assessment list (optimistic locking, like a roster).
    assessment_version: Mapped[int] = mapped_column(default=0)

    series: Mapped[Series] = relationship(back_populates="modules")
    sessions: Mapped[list[Session]] = relationship(
        back_populates="module", order_by="(Session.date, Session.start_time, Session.id)", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(enum_check("assessment_kind", ASSESSMENT_KINDS), name="assessment_kind_known"),
        CheckConstraint("teaching_units >= 0", name="teaching_units_positive"),
        CheckConstraint(
            "assessment_kind = 'pass_fail' OR (max_points > 0 AND pass_mark BETWEEN 0 AND max_points)",
            name="points_rule_complete",
        ),
        CheckConstraint("assessment_version >= 0", name="assessment_version_positive"),
    )


session_trainers = Table(
    "session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Session(db.Model):
    """A dated meeting of a module. Date and times are wall-clock times in Hessen."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    place: Mapped[str] = mapped_column(String(200), default="")
    # The roster's version: grows with every saved roster, refuses stale saves.
    attendance_version: Mapped[int] = mapped_column(default=0)
    attendance_updated_at: Mapped[datetime | None]
    attendance_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # iCalendar SEQUENCE: grows whenever date, time or place change, so calendars take the update.
    calendar_sequence: Mapped[int] = mapped_column(default=0)

    module: Mapped[Module] = relationship(back_populates="sessions")
    trainers: Mapped[list[User]] = relationship(secondary=session_trainers, order_by="User.display_name")
    attendance_updated_by: Mapped[User | None] = relationship(foreign_keys=[attendance_updated_by_id])

    __table_args__ = (
        CheckConstraint("end_time > start_time", name="times_ordered"),
        CheckConstraint("attendance_version >= 0", name="attendance_version_positive"),
        CheckConstraint("calendar_sequence >= 0", name="calendar_sequence_positive"),
        Index("ix_sessions_date", "date"),
    )

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time)


class Enrollment(db.Model):
    """A coordinator in a series."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    series: Mapped[Series] = relationship(back_populates="enrollments")
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("series_id", "user_id"),
        CheckConstraint(enum_check("status", ENROLLMENT_STATUSES), name="status_known"),
    )
