"""Right of access (Art. 15 DSGVO): everything wirlearn holds about the signed-in person, as JSON.

Only the person's own records: their profile, enrollments, attendance, assessments and
certificates. Nothing about anyone else — no other participant, and not who recorded an entry
(that is the trainer's data). Secrets (password hash, TOTP secret, session nonce) are not
personal data to hand out; they are left out."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User
from wirlearn.certificates.models import Certificate
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session

FORMAT_VERSION = 1


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        # Stored as naive UTC.
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def personal_data(user_id: int) -> dict[str, Any]:
    """The export for one user; a fixed number of queries."""
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    profile = {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "region": None
        if user.region is None
        else {"name": user.region.name, "code": user.region.code, "regierungsbezirk": user.region.regierungsbezirk},
        "active": user.active,
        "preferred_locale": user.preferred_locale,
        "two_factor_enabled": user.totp_enabled,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "password_changed_at": _iso(user.password_changed_at),
    }
    enrollment_rows = db.session.execute(
        select(Enrollment, Series.title, Series.provider)
        .join(Series, Series.id == Enrollment.series_id)
        .where(Enrollment.user_id == user_id)
        .order_by(Enrollment.enrolled_at, Enrollment.id)
    ).all()
    mine = select(Enrollment.id).where(Enrollment.user_id == user_id)
    attendance = db.session.execute(
        select(Attendance, Session, Module.title, Module.series_id)
        .join(Session, Session.id == Attendance.session_id)
        .join(Module, Module.id == Session.module_id)
        .where(Attendance.enrollment_id.in_(mine))
        .order_by(Session.date, Session.start_time, Session.id)
    ).all()
    assessments = db.session.execute(
        select(Assessment, Module.title, Module.series_id)
        .join(Module, Module.id == Assessment.module_id)
        .where(Assessment.enrollment_id.in_(mine))
        .order_by(Module.position, Module.id, Assessment.attempt)
    ).all()
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.enrollment_id.in_(mine)).order_by(Certificate.issued_at, Certificate.id)
    ).all()
    return {
        "format": "wirlearn-personal-data",
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "profile": profile,
        "enrollments": [
            {
                "id": enrollment.id,
                "series_id": enrollment.series_id,
                "series_title": title,
                "provider": provider,
                "status": enrollment.status,
                "enrolled_at": _iso(enrollment.enrolled_at),
                "withdrawn_at": _iso(enrollment.withdrawn_at),
            }
            for enrollment, title, provider in enrollment_rows
        ],
        "attendance": [
            {
                "enrollment_id": row.enrollment_id,
                "series_id": series_id,
                "module": module_title,
                "session_date": _iso(session.date),
                "start_time": _iso(session.start_time),
                "end_time": _iso(session.end_time),
                "place": session.place,
                "status": row.status,
                "note": row.note,
                "updated_at": _iso(row.updated_at),
            }
            for row, session, module_title, series_id in attendance
        ],
        "assessments": [
            {
                "enrollment_id": row.enrollment_id,
                "series_id": series_id,
                "module": module_title,
                "attempt": row.attempt,
                "result": row.result,
                "points": _iso(row.points),
                "feedback": row.feedback,
                "assessed_on": _iso(row.assessed_on),
                "recorded_at": _iso(row.recorded_at),
            }
            for row, module_title, series_id in assessments
        ],
        "certificates": [
            {
                "enrollment_id": certificate.enrollment_id,
                "code": certificate.code,
                "status": certificate.status,
                "issued_at": _iso(certificate.issued_at),
                "valid_until": _iso(certificate.valid_until),
                "revoked_at": _iso(certificate.revoked_at),
                "revoked_reason": certificate.revoked_reason,
                "superseded_at": _iso(certificate.superseded_at),
                "snapshot": certificate.snapshot,
                "credential": certificate.credential,
            }
            for certificate in certificates
        ],
    }
