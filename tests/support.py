"""Small helpers several test modules share."""

from __future__ import annotations

from sqlalchemy import func, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db


def bearer(client, user) -> dict:
    """Headers for the JSON API with a bearer token, as its clients send them."""
    response = client.post("/api/v1/token", json={"email": user.email, "password": user.password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def written(app) -> tuple[int, int, int]:
    """How many attendance rows, assessments and their audit events the database holds."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Attendance)),
            db.session.scalar(select(func.count()).select_from(Assessment)),
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type.in_(("attendance", "assessment")))
            ),
        )
