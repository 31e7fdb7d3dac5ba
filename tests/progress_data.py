"""Test data for progress: attendance, assessments and certificates for one coordinator, and
many coordinators in one series at once."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select

from tests.factories import SeriesRef
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User
from wirlearn.certificates.models import Certificate, SigningKey
from wirlearn.core.timeutil import local_today, utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Region, Session
from wirlearn.programme.services import seed_regions

_batch = itertools.count(1)
STATUSES = ("present", "present", "late", "excused", "absent")


def populate(app, series: SeriesRef, count: int) -> list[int]:
    """``count`` coordinators enrolled in ``series``, each with an attendance row for every
    session and an assessment (some re-assessed) for every module; returns enrollment ids."""
    batch = next(_batch)
    with app.app_context():
        seed_regions()
        region_ids = list(db.session.scalars(select(Region.id).order_by(Region.id)))
        users = []
        for number in range(count):
            user = User(
                email=f"k{batch}-{number}@example.org",
                display_name=f"Koordination {batch}-{number:03d}",
                password_hash=None,
                region_id=region_ids[number % len(region_ids)],
            )
            user.set_roles({"coordinator"})
            users.append(user)
        db.session.add_all(users)
        db.session.flush()
        enrollments = [
            Enrollment(series_id=series.id, user_id=user.id, status="withdrawn" if number % 17 == 16 else "active")
            for number, user in enumerate(users)
        ]
        db.session.add_all(enrollments)
        db.session.flush()
        rows = []
        for number, enrollment in enumerate(enrollments):
            for index, session_id in enumerate(series.session_ids):
                rows.append(Attendance(session_id=session_id, enrollment_id=enrollment.id, status=STATUSES[(number + index) % 5]))
            for index, module_id in enumerate(series.module_ids):
                if number % 5 == 0:
                    rows.append(
                        Assessment(
                            module_id=module_id,
                            enrollment_id=enrollment.id,
                            attempt=1,
                            result="failed",
                            assessed_on=date(2026, 1, 1),
                        )
                    )
                    rows.append(
                        Assessment(
                            module_id=module_id,
                            enrollment_id=enrollment.id,
                            attempt=2,
                            result="passed",
                            assessed_on=date(2026, 2, 1),
                        )
                    )
                elif (number + index) % 7 != 3:
                    rows.append(
                        Assessment(
                            module_id=module_id,
                            enrollment_id=enrollment.id,
                            attempt=1,
                            result="passed",
                            assessed_on=date(2026, 1, 1),
                        )
                    )
        db.session.add_all(rows)
        db.session.commit()
        return [enrollment.id for enrollment in enrollments]


_codes = itertools.count(1)


def enrollment_id(app, series: SeriesRef, user) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Enrollment.id).where(Enrollment.series_id == series.id, Enrollment.user_id == user.id))


def record(app, series: SeriesRef, user, statuses: dict[int, str] | None = None, results: dict[int, str] | None = None) -> int:
    """Attendance (session id → status; default: present everywhere held) and assessments
    (module id → result; default: every module passed) for one enrollment; saves the rosters."""
    enrollment = enrollment_id(app, series, user)
    with app.app_context():
        today = local_today()
        held = [sid for sid in series.session_ids if db.session.get(Session, sid).date < today]
        statuses = dict.fromkeys(held, "present") if statuses is None else statuses
        for session_id, status in statuses.items():
            db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment, status=status, note="Zug fiel aus"))
            db.session.get(Session, session_id).attendance_version = 1
        results = dict.fromkeys(series.module_ids, "passed") if results is None else results
        for module_id, result in results.items():
            db.session.add(
                Assessment(
                    module_id=module_id,
                    enrollment_id=enrollment,
                    attempt=1,
                    result=result,
                    assessed_on=today,
                    feedback="Gut gemacht",
                )
            )
        db.session.commit()
    return enrollment


def add_certificate(app, enrollment: int, status: str = "valid") -> str:
    with app.app_context():
        if db.session.get(SigningKey, "test-key") is None:
            db.session.add(SigningKey(kid="test-key", public_jwk={"kty": "RSA"}))
            db.session.flush()  # no relationship tells the unit of work to insert the key first
        code = f"TESTCODE{next(_codes)}"
        db.session.add(
            Certificate(
                code=code,
                enrollment_id=enrollment,
                snapshot={"holder": "x"},
                credential="header.payload.signature",
                kid="test-key",
                status=status,
                revoked_at=utcnow() if status == "revoked" else None,
                revoked_reason="Irrtum" if status == "revoked" else None,
            )
        )
        db.session.commit()
    return code
