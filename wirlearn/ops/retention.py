"""Retention of personal data (GDPR Art. 5(1)(e)): what is kept how long, and the purge.

Categories, each with its own setting (days):
- ``RETENTION_DAYS_PARTICIPANTS``: participants who hold no certificate are anonymised this long
  after their last series ended (or they withdrew, or, without any enrollment, after their last
  sign-in). Holders of a certificate stay: the verification page must keep working for decades.
- ``RETENTION_DAYS_NOTES``: free-text attendance notes and assessment feedback (they may say why
  someone was absent) are cleared this long after their series ended.
- ``RETENTION_DAYS_ROSTER_KEYS``: the one-time keys that catch a roster sent twice.

The audit trail is kept whole: it is the record of who changed what, and its table refuses
UPDATE and DELETE by design. Anonymised participants appear there by id only from then on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from wirlearn import signals
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance, RosterSubmission
from wirlearn.audit.services import record
from wirlearn.auth.models import RecoveryCode, User, UserRole
from wirlearn.certificates.models import Certificate
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session

ANONYMOUS_NAME = "Anonymisiert"


@dataclass
class PurgeResult:
    anonymised_user_ids: list[int] = field(default_factory=list)
    notes_cleared: int = 0
    feedback_cleared: int = 0
    roster_keys_deleted: int = 0


def _days(name: str) -> int:
    return int(current_app.config[name])


def series_end_dates() -> dict[int, date | None]:
    """The day each series ended: its end date, else its last session."""
    last_session = dict(
        db.session.execute(
            select(Module.series_id, func.max(Session.date))
            .join(Session, Session.module_id == Module.id)
            .group_by(Module.series_id)
        ).all()
    )
    return {
        series_id: end or last_session.get(series_id) for series_id, end in db.session.execute(select(Series.id, Series.end_date))
    }


def _as_date(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def participants_past_retention(today: date) -> list[User]:
    """Participants (no staff role) without any certificate whose data is past its retention."""
    cutoff = today - timedelta(days=_days("RETENTION_DAYS_PARTICIPANTS"))
    staff = select(UserRole.user_id).where(UserRole.role.in_(("admin", "trainer")))
    holders = select(Enrollment.user_id).join(Certificate, Certificate.enrollment_id == Enrollment.id)
    candidates = db.session.scalars(
        select(User).where(User.anonymized_at.is_(None), User.id.not_in(staff), User.id.not_in(holders)).order_by(User.id)
    ).all()
    if not candidates:
        return []
    ends = series_end_dates()
    enrollments: dict[int, list[Enrollment]] = {}
    for enrollment in db.session.scalars(select(Enrollment).where(Enrollment.user_id.in_([user.id for user in candidates]))):
        enrollments.setdefault(enrollment.user_id, []).append(enrollment)
    result = []
    for user in candidates:
        own = enrollments.get(user.id, [])
        if own:
            last_days = []
            for enrollment in own:
                if enrollment.status == "withdrawn" and enrollment.withdrawn_at:
                    last_days.append(_as_date(enrollment.withdrawn_at))
                else:
                    end = ends.get(enrollment.series_id)
                    # A series without an end date or sessions has not ended: keep the person.
                    last_days.append(end if end is not None else date.max)
            last = max(last_days)
        else:
            last = max(filter(None, (_as_date(user.created_at), _as_date(user.last_login_at))))
        if last < cutoff:
            result.append(user)
    return result


def anonymise(user: User, *, reason: str) -> None:
    """Remove what identifies ``user``; the row stays so statistics and history keep their ids."""
    user.email = f"anonym-{user.id}@anonymisiert.invalid"
    user.display_name = ANONYMOUS_NAME
    user.password_hash = None
    user.active = False
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_counter = None
    user.preferred_locale = None
    user.last_login_at = None
    user.subject_uuid = str(uuid.uuid4())
    user.anonymized_at = utcnow()
    user.end_all_sessions()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    enrollment_ids = select(Enrollment.id).where(Enrollment.user_id == user.id)
    db.session.execute(
        update(Attendance)
        .where(Attendance.enrollment_id.in_(enrollment_ids), Attendance.note != "")
        .values(note="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Assessment)
        .where(Assessment.enrollment_id.in_(enrollment_ids), Assessment.feedback != "")
        .values(feedback="")
        .execution_options(synchronize_session=False)
    )
    record("user.anonymised", "user", user.id, subject_user_id=user.id, after={"reason": reason})
    signals.user_anonymised.send(user)


def _ended_series_ids(cutoff: date) -> list[int]:
    return [series_id for series_id, end in series_end_dates().items() if end is not None and end < cutoff]


def purge(today: date, *, dry_run: bool = False) -> PurgeResult:
    """Apply every retention rule as of ``today``; flushes, never commits (the caller does)."""
    result = PurgeResult()
    for user in participants_past_retention(today):
        result.anonymised_user_ids.append(user.id)
        if not dry_run:
            anonymise(user, reason="retention")

    notes_cutoff = today - timedelta(days=_days("RETENTION_DAYS_NOTES"))
    ended = _ended_series_ids(notes_cutoff)
    if ended:
        enrollment_ids = select(Enrollment.id).where(Enrollment.series_id.in_(ended))
        note_filter = (Attendance.enrollment_id.in_(enrollment_ids), Attendance.note != "")
        feedback_filter = (Assessment.enrollment_id.in_(enrollment_ids), Assessment.feedback != "")
        result.notes_cleared = db.session.scalar(select(func.count()).select_from(Attendance).where(*note_filter))
        result.feedback_cleared = db.session.scalar(select(func.count()).select_from(Assessment).where(*feedback_filter))
        if not dry_run:
            db.session.execute(
                update(Attendance).where(*note_filter).values(note="").execution_options(synchronize_session=False)
            )
            db.session.execute(
                update(Assessment).where(*feedback_filter).values(feedback="").execution_options(synchronize_session=False)
            )

    keys_cutoff = utcnow() - timedelta(days=_days("RETENTION_DAYS_ROSTER_KEYS"))
    old_keys = (RosterSubmission.created_at < keys_cutoff,)
    result.roster_keys_deleted = db.session.scalar(select(func.count()).select_from(RosterSubmission).where(*old_keys))
    if not dry_run and result.roster_keys_deleted:
        db.session.execute(delete(RosterSubmission).where(*old_keys))

    if not dry_run and (
        result.anonymised_user_ids or result.notes_cleared or result.feedback_cleared or result.roster_keys_deleted
    ):
        record(
            "retention.purged",
            "retention",
            today.isoformat(),
            after={
                "anonymised": len(result.anonymised_user_ids),
                "notes_cleared": result.notes_cleared,
                "feedback_cleared": result.feedback_cleared,
                "roster_keys_deleted": result.roster_keys_deleted,
            },
        )
    db.session.flush()
    return result
