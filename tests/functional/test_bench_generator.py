"""The synthetic programme generator (bench/generator.py) that the benchmarks and tests use, and
the benchmarks' floor app: what they write must look like what the app writes."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bench.floor_app import create_app as create_floor_app
from bench.floor_app import fill
from bench.generator import generate_programme
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.auth.passwords import hash_password
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Session
from wirlearn.progress.services import progress_for_series

PASSWORD = "generiert-und-geheim"


def test_running_programme_has_the_promised_shape(app, client):
    with app.app_context():
        programme = generate_programme(120, password_hash=hash_password(PASSWORD))
        db.session.commit()

        assert len(programme.module_ids) == 8
        assert len(programme.session_ids) == 24
        assert len(programme.held_session_ids) == 16
        assert (
            db.session.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.series_id == programme.series_id))
            == 120
        )
        assert len(programme.withdrawn_enrollment_ids) == 3
        statuses = Counter(db.session.scalars(select(Attendance.status)))
        # Realistic: most present, every other status occurs.
        assert statuses["present"] > 0.8 * sum(statuses.values())
        assert statuses["late"] and statuses["excused"] and statuses["absent"]
        # Attendance only for held sessions, at most one row per session and person.
        held = set(programme.held_session_ids)
        assert set(db.session.scalars(select(Attendance.session_id).distinct())) <= held
        # Modules 1-5 have all their sessions held and are assessed; 6-8 are not.
        assessed = set(db.session.scalars(select(Assessment.module_id).distinct()))
        assert assessed == set(programme.module_ids[:5])
        assert db.session.scalar(select(func.max(Assessment.attempt))) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == db.session.scalar(
            select(func.count()).select_from(Attendance)
        ) + db.session.scalar(select(func.count()).select_from(Assessment))
        sessions = db.session.scalars(select(Session).order_by(Session.date)).all()
        assert [session.id for session in sessions] == programme.session_ids
        assert all(session.trainers for session in sessions)

        progress = progress_for_series(programme.series_id)
        assert len(progress) == 120
        assert not any(item.eligible for item in progress)  # sessions still to come
        assert sum(item.withdrawn for item in progress) == 3
        assert sum(not item.reachable for item in progress) > 0

    # Generated people can sign in with the password whose hash they were given.
    response = client.post("/anmelden", data={"email": programme.coordinator_emails[0], "password": PASSWORD})
    assert response.status_code == 302
    assert "/anmelden" not in response.headers["Location"]


def test_finished_all_eligible_programme_makes_everyone_eligible(app):
    with app.app_context():
        programme = generate_programme(40, password_hash="x", finished=True, all_eligible=True)
        db.session.commit()
        progress = progress_for_series(programme.series_id)
        assert len(progress) == 40
        assert all(item.eligible for item in progress), [item.missing for item in progress if not item.eligible]
        assert db.session.scalar(select(func.min(Module.assessment_version))) == 1


def test_two_programmes_in_one_database_do_not_collide(app):
    with app.app_context():
        first = generate_programme(10, password_hash="x")
        second = generate_programme(10, password_hash="x", seed=7)
        db.session.commit()
        assert first.series_id != second.series_id
        assert set(first.coordinator_emails).isdisjoint(second.coordinator_emails)
        assert db.session.scalar(select(func.count()).select_from(User)) == 2 * (10 + 5)


def test_floor_app_finds_a_code_and_refuses_an_unknown_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'floor.sqlite3'}"
    codes = fill(url, rows=20)
    client = create_floor_app(url).test_client()
    assert client.get("/bare").data == b"ok"
    response = client.get(f"/lookup/{codes[3]}")
    assert response.status_code == 200
    assert "Gültig" in response.get_data(as_text=True)
    assert client.get("/lookup/NICHTDA").status_code == 404
