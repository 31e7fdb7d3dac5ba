"""Object-level rules for ids in URLs and bodies, and extra fields that must not change anything.

The access matrix covers every route with ids of the right and the wrong series; these tests
send ids in the body: attendance or results for people outside the series, and fields such as
``role``, ``active`` or ``user_id`` that a form does not have."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.routes import changed_tables, snapshot
from wirlearn.auth.models import User
from wirlearn.extensions import db


def roster_form(for_session: int, entries: dict[int, str], **extra) -> dict:
    data = {"version": "0", "submission_key": f"k-{for_session}-{sorted(entries)}", "action": "save"}
    for user_id, status in entries.items():
        data[f"status-{user_id}"] = status
        data[f"orig-status-{user_id}"] = ""
        data[f"orig-note-{user_id}"] = ""
    data.update(extra)
    return data


def test_trainer_of_another_series_cannot_post_attendance(app, login, programme, other_trainer, coordinator):
    client = app.test_client()
    login(client, other_trainer)
    session_id = programme["main"].session_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(f"/termine/{session_id}/anwesenheit", data=roster_form(session_id, {coordinator.id: "present"}))
    assert response.status_code == 403
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_attendance_for_someone_not_enrolled_is_refused_and_nothing_written(app, login, programme, trainer, factory):
    stranger = factory.user("coordinator", email="fremd@example.org", region="Kassel")
    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(f"/termine/{session_id}/anwesenheit", data=roster_form(session_id, {stranger.id: "present"}))
    assert response.status_code == 422
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_attendance_for_a_participant_of_another_series_is_refused(app, login, programme, trainer, factory, other_trainer):
    elsewhere = factory.user("coordinator", email="anderswo@example.org", region="Kassel")
    factory.enroll(programme["other"].id, elsewhere)
    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(f"/termine/{session_id}/anwesenheit", data=roster_form(session_id, {elsewhere.id: "absent"}))
    assert response.status_code == 422
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_results_for_someone_outside_the_series_are_refused(app, login, programme, trainer, factory):
    stranger = factory.user("coordinator", email="fremd2@example.org", region="Kassel")
    client = app.test_client()
    login(client, trainer)
    module_id = programme["main"].module_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(
        f"/module/{module_id}/bewertungen", data={"version": "0", "action": "save", f"result-{stranger.id}": "passed"}
    )
    assert response.status_code == 422
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_trainer_of_another_series_cannot_post_results(app, login, programme, other_trainer, coordinator):
    client = app.test_client()
    login(client, other_trainer)
    module_id = programme["main"].module_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(
        f"/module/{module_id}/bewertungen", data={"version": "0", "action": "save", f"result-{coordinator.id}": "passed"}
    )
    assert response.status_code == 403
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def user_row(app, user_id: int) -> dict:
    with app.app_context():
        user = db.session.get(User, user_id)
        return {
            "roles": sorted(user.roles),
            "active": user.active,
            "email": user.email,
            "password_hash": user.password_hash,
            "totp_enabled": user.totp_enabled,
            "region_id": user.region_id,
        }


EXTRA_FIELDS = {
    "role": "admin",
    "roles": "admin",
    "is_active": "false",
    "active": "false",
    "user_id": "1",
    "id": "1",
    "password_hash": "x",
    "totp_enabled": "1",
    "session_nonce": "x",
    "email": "admin@example.org",
}


def test_extra_fields_on_sign_in_and_password_change_change_nothing(app, client, coordinator, admin):
    before = user_row(app, coordinator.id)
    response = client.post("/anmelden", data={**EXTRA_FIELDS, "email": coordinator.email, "password": coordinator.password})
    assert response.status_code == 302
    with app.app_context():
        signed_in_as = db.session.scalar(select(User.email).where(User.id == coordinator.id))
    assert signed_in_as == coordinator.email
    assert client.get("/verwaltung/reihen").status_code == 403  # still a coordinator
    client.post(
        "/konto/passwort", data={**EXTRA_FIELDS, "current": "falsch-falsch-falsch", "password": "x" * 12, "confirm": "x" * 12}
    )
    after = user_row(app, coordinator.id)
    assert after == before
    assert user_row(app, admin.id)["active"] is True


def test_extra_fields_in_the_user_form_change_only_what_the_form_has(app, client, login, admin, trainer):
    login(client, admin)
    client.post(
        f"/verwaltung/nutzer/{trainer.id}",
        data={
            **EXTRA_FIELDS,
            "email": trainer.email,
            "display_name": "Tina Neu",
            "roles": ["trainer"],
            "region_id": "",
        },
    )
    after = user_row(app, trainer.id)
    assert after["roles"] == ["trainer"] and after["active"] is True and after["totp_enabled"] is False
    with app.app_context():
        assert db.session.get(User, trainer.id).display_name == "Tina Neu"


@pytest.mark.parametrize("extra", [{"role": "admin"}, {"sub": "1"}, {"user_id": 1}])
def test_extra_json_fields_on_the_token_endpoint_are_refused(client, coordinator, extra):
    response = client.post("/api/v1/token", json={"email": coordinator.email, "password": coordinator.password, **extra})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_roster_post_cannot_choose_who_recorded_it(app, login, programme, trainer, coordinator):
    from wirlearn.attendance.models import Attendance

    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    response = client.post(
        f"/termine/{session_id}/anwesenheit",
        data=roster_form(session_id, {coordinator.id: "present"}, **{"updated_by_id": "1", "user_id": "1", "session_id": "999"}),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        row = db.session.scalars(select(Attendance)).one()
    assert row.updated_by_id == trainer.id and row.session_id == session_id
