"""Self check-in: the rotating token, who may check in, what gets recorded, the live list."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.querycount import count_queries
from tests.support import bearer
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.checkin import tokens
from wirlearn.core.timeutil import local_now
from wirlearn.extensions import db
from wirlearn.programme.models import Session

PROBLEM = "application/problem+json"


def make_running(
    app, session_id: int, *, started_minutes_ago: int = 20, late_after: int | None = None, now: datetime | None = None
) -> None:
    """Move a session so that it runs now (started ``started_minutes_ago`` minutes ago)."""
    now = now or local_now()
    start = now - timedelta(minutes=started_minutes_ago)
    end = now + timedelta(minutes=90)
    if start.date() != now.date():
        start = datetime.combine(now.date(), datetime.min.time())
    if end.date() != now.date():
        end = datetime.combine(now.date(), datetime.max.time().replace(microsecond=0))
    with app.app_context():
        session = db.session.get(Session, session_id)
        session.date, session.start_time, session.end_time = now.date(), start.time(), end.time()
        if late_after is not None:
            session.module.series.checkin_late_after_minutes = late_after
        db.session.commit()


@pytest.fixture
def room(app, factory, trainer, coordinator, other_coordinator):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator), days=((0,), (7,)))
    session_id = series.sessions_by_module[series.module_ids[0]][0]
    make_running(app, session_id, started_minutes_ago=5)
    return series, session_id


def token_at(app, session_id: int, windows_ago: int = 0) -> str:
    with app.app_context():
        return tokens.token_for(session_id, tokens.window_of(time.time()) - windows_ago)


def attendance_rows(app, session_id: int) -> dict[int, str]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(Attendance.enrollment_id, Attendance.status).where(Attendance.session_id == session_id)
            ).all()
        )


def test_trainer_gets_a_token_that_rotates(app, client, trainer, other_trainer, coordinator, room):
    _series, session_id = room
    response = client.get(f"/api/v1/sessions/{session_id}/checkin-token", headers=bearer(client, trainer))
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"token", "expires_in"}
    assert 15 <= body["expires_in"] <= 30
    assert body["url"].endswith(f"/c/{session_id}/{body['token']}")
    assert body["token"] in {token_at(app, session_id), token_at(app, session_id, 1)}  # a window may have turned
    with app.app_context():
        assert tokens.token_for(session_id, 100) != tokens.token_for(session_id, 101)
        assert tokens.token_for(session_id, 100) != tokens.token_for(session_id + 1, 100)

    assert client.get(f"/api/v1/sessions/{session_id}/checkin-token", headers=bearer(client, other_trainer)).status_code == 403
    assert client.get(f"/api/v1/sessions/{session_id}/checkin-token", headers=bearer(client, coordinator)).status_code == 403
    assert client.get("/api/v1/sessions/999999/checkin-token", headers=bearer(client, trainer)).status_code == 404


def test_participant_checks_in_once_and_it_is_audited(app, client, coordinator, room):
    _series, session_id = room
    headers = bearer(client, coordinator)
    url = f"/api/v1/sessions/{session_id}/checkin"
    first = client.post(url, headers=headers, json={"token": token_at(app, session_id)})
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.json == {"status": "present", "recorded": True}
    # The previous window is still accepted; checking in again changes nothing.
    again = client.post(url, headers=headers, json={"token": token_at(app, session_id, 1)})
    assert again.status_code == 200 and again.json == {"status": "present", "recorded": False}
    assert list(attendance_rows(app, session_id).values()) == ["present"]
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.subject_user_id).where(AuditEvent.session_id == session_id)
        ).all()
        assert events == [("attendance.self_checkin", coordinator.id, coordinator.id)]
        # A check-in does not make a trainer's open roster stale.
        assert db.session.get(Session, session_id).attendance_version == 0


@pytest.mark.parametrize("windows_ago", [2, 3])
def test_old_tokens_are_refused(app, client, coordinator, room, windows_ago):
    """Two windows ago (30 s) and a 45-second-old photo of the code are refused."""
    _series, session_id = room
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin",
        headers=bearer(client, coordinator),
        json={"token": token_at(app, session_id, windows_ago)},
    )
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "abgelaufen" in response.json["detail"]
    assert attendance_rows(app, session_id) == {}


def test_token_of_another_session_is_refused(app, client, factory, trainer, coordinator, room):
    series, session_id = room
    other_session = series.sessions_by_module[series.module_ids[1]][0]
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin",
        headers=bearer(client, coordinator),
        json={"token": token_at(app, other_session)},
    )
    assert response.status_code == 422 and "anderen Termin" in response.json["detail"]
    for bad in ("", "x" * 64, "../../etc"):
        refused = client.post(f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, coordinator), json={"token": bad})
        assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert client.post(f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, coordinator), json={}).status_code == 422
    assert attendance_rows(app, session_id) == {}


def test_participant_of_another_series_is_refused(app, client, factory, room):
    _series, session_id = room
    stranger = factory.user("coordinator", name="Fremde Person")
    factory.series(coordinators=(stranger,))
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, stranger), json={"token": token_at(app, session_id)}
    )
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert "nicht eingeschrieben" in response.json["detail"]
    assert attendance_rows(app, session_id) == {}


def test_session_not_running_is_refused(app, client, coordinator, room):
    series, session_id = room
    future = series.sessions_by_module[series.module_ids[1]][0]
    response = client.post(
        f"/api/v1/sessions/{future}/checkin", headers=bearer(client, coordinator), json={"token": token_at(app, future)}
    )
    assert response.status_code == 422 and "erst ab Beginn" in response.json["detail"]
    with app.app_context():
        session = db.session.get(Session, session_id)
        session.date = session.date - timedelta(days=1)
        db.session.commit()
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, coordinator), json={"token": token_at(app, session_id)}
    )
    assert response.status_code == 422 and "zu Ende" in response.json["detail"]


def test_late_after_the_series_minute(app, client, coordinator, room, monkeypatch):
    _series, session_id = room
    # Noon today on the service's clock: a session can have started 20 minutes ago on the same
    # day at any hour the suite runs (shortly after midnight too).
    noon = datetime.combine(local_now().date(), datetime.min.time()).replace(hour=12)
    monkeypatch.setattr("wirlearn.checkin.services.local_now", lambda: noon)
    make_running(app, session_id, started_minutes_ago=20, late_after=10, now=noon)
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, coordinator), json={"token": token_at(app, session_id)}
    )
    assert response.json == {"status": "late", "recorded": True}


def test_check_in_never_overwrites_the_trainers_mark(app, client, trainer, coordinator, room):
    _series, session_id = room
    saved = client.put(
        f"/api/v1/sessions/{session_id}/attendance",
        headers=bearer(client, trainer),
        json={"version": 0, "records": [{"user_id": coordinator.id, "status": "excused", "note": "krank"}]},
    )
    assert saved.status_code == 200
    response = client.post(
        f"/api/v1/sessions/{session_id}/checkin", headers=bearer(client, coordinator), json={"token": token_at(app, session_id)}
    )
    assert response.json == {"status": "excused", "recorded": False}
    assert list(attendance_rows(app, session_id).values()) == ["excused"]


def test_scan_sign_in_and_confirm_in_the_browser_flow(app, client, coordinator, room):
    _series, session_id = room
    scan = client.get(f"/c/{session_id}/{token_at(app, session_id)}")
    assert scan.status_code == 302
    confirm_path = scan.headers["Location"]
    # Not signed in yet: the sign-in page, which leads back here.
    to_login = client.get(confirm_path)
    assert to_login.status_code == 302 and "/anmelden" in to_login.headers["Location"]
    client.post("/anmelden", data={"email": coordinator.email, "password": coordinator.password})
    page = client.get(confirm_path)
    assert page.status_code == 200 and "Anwesenheit bestätigen" in page.get_data(as_text=True)
    done = client.post(confirm_path)
    assert done.status_code == 200
    assert "Sie sind eingecheckt: anwesend." in done.get_data(as_text=True)
    again = client.post(confirm_path)
    assert "Sie waren bereits eingecheckt" in again.get_data(as_text=True)
    assert list(attendance_rows(app, session_id).values()) == ["present"]


def test_a_stale_scan_explains_itself(app, client, room):
    _series, session_id = room
    response = client.get(f"/c/{session_id}/{token_at(app, session_id, 3)}")
    assert response.status_code == 422
    assert "abgelaufen" in response.get_data(as_text=True)
    forged = client.get(f"/check-in/{session_id}/not-a-grant")
    assert forged.status_code == 302  # sign in first
    assert client.get(f"/c/999999/{token_at(app, session_id)}").status_code == 404


def test_live_list_shows_who_is_there_in_constant_queries(
    app, client, login, factory, trainer, coordinator, other_coordinator, room
):
    series, session_id = room
    login(client, trainer)
    page = client.get(f"/termine/{session_id}/check-in")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "data:image/svg+xml;base64," in text and 'http-equiv="refresh"' in text
    state = client.get(f"/termine/{session_id}/check-in/stand.json").json
    assert state["open"] and state["checked_in"] == []
    assert [row["name"] for row in state["waiting"]] == ["Ayşe Yılmaz", "Đorđe Petrović"]

    participant = app.test_client()
    participant.post(
        f"/api/v1/sessions/{session_id}/checkin",
        headers=bearer(participant, coordinator),
        json={"token": token_at(app, session_id)},
    )
    state = client.get(f"/termine/{session_id}/check-in/stand.json").json
    assert [(row["name"], row["status"], row["self"]) for row in state["checked_in"]] == [("Ayşe Yılmaz", "present", True)]
    assert [row["name"] for row in state["waiting"]] == ["Đorđe Petrović"]

    with app.app_context():
        engine = db.engine
    with count_queries(engine) as small:
        client.get(f"/termine/{session_id}/check-in/stand.json")
    for number in range(12):
        factory.enroll(series.id, factory.user("coordinator", name=f"Person {number}"))
    with count_queries(engine) as large:
        assert len(client.get(f"/termine/{session_id}/check-in/stand.json").json["waiting"]) == 13
    assert large.count == small.count


def test_other_trainer_cannot_see_the_code(client, login, other_trainer, room):
    _series, session_id = room
    login(client, other_trainer)
    assert client.get(f"/termine/{session_id}/check-in").status_code == 403
    assert client.get(f"/termine/{session_id}/check-in/stand.json").status_code == 403
