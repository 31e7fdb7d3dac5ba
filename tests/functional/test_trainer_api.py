"""JSON API of the trainer workflow: series, attendance rosters and assessments, every role."""

from __future__ import annotations

import pytest

from tests.support import bearer, written

PROBLEM = "application/problem+json"


def test_series_lists_what_the_caller_may_see(client, admin, trainer, other_trainer, coordinator, programme):
    main, other = programme["main"], programme["other"]
    seen = {}
    for user in (admin, trainer, other_trainer, coordinator):
        response = client.get("/api/v1/series", headers=bearer(client, user))
        assert response.status_code == 200
        seen[user.email] = {series["id"] for series in response.json}
    assert seen[admin.email] == {main.id, other.id}
    assert seen[trainer.email] == {main.id}
    assert seen[other_trainer.email] == {other.id}
    assert seen[coordinator.email] == {main.id}
    series = next(s for s in client.get("/api/v1/series", headers=bearer(client, trainer)).json)
    assert [module["id"] for module in series["modules"]] == main.module_ids
    session = series["modules"][0]["sessions"][0]
    assert set(session) >= {"id", "date", "start_time", "end_time", "starts_at", "ends_at", "place"}
    assert session["starts_at"].endswith(("+01:00", "+02:00"))


def test_series_needs_a_token(client):
    response = client.get("/api/v1/series")
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_attendance_round_trip_and_conflict(app, client, trainer, factory, coordinator, other_coordinator, programme):
    session_id = programme["main"].session_ids[0]
    url = f"/api/v1/sessions/{session_id}/attendance"
    headers = bearer(client, trainer)
    roster = client.get(url, headers=headers).json
    assert roster["version"] == 0
    assert [(r["user_id"], r["name"], r["region"], r["status"]) for r in roster["records"]] == [
        (coordinator.id, "Ayşe Yılmaz", "Darmstadt", None),
        (other_coordinator.id, "Đorđe Petrović", "Kassel", None),
    ]
    response = client.put(
        url, headers=headers, json={"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]}
    )
    assert response.status_code == 200
    assert response.json == {"version": 1, "changed_user_ids": [coordinator.id]}

    # A second client still at version 0 is refused and told what changed.
    other = factory.user("admin", name="Anna Admin")
    response = client.put(
        url,
        headers=bearer(client, other),
        json={"version": 0, "records": [{"user_id": other_coordinator.id, "status": "absent"}]},
    )
    assert response.status_code == 409 and response.mimetype == PROBLEM
    body = response.json
    assert body["current_version"] == 1
    assert body["changed"][0]["user_id"] == coordinator.id and body["changed"][0]["status"] == "present"
    assert "Tina Trainer" in body["detail"]
    assert written(app) == (1, 0, 1)
    roster = client.get(url, headers=headers).json
    assert roster["version"] == 1 and roster["updated_by"] == "Tina Trainer"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 0, "records": [{"user_id": 0, "status": "krank"}]}, "status"),
        ({"version": 0, "records": [{"user_id": 1, "status": "present", "note": "x" * 501}]}, "note"),
        ({"version": "0", "records": []}, "version"),
        ({"records": []}, "version"),
        ({"version": 0, "records": [{"user_id": 1, "status": "present"}, {"user_id": 1, "status": "late"}]}, "records"),
    ],
)
def test_attendance_bad_input_is_422_with_field_messages(app, client, trainer, coordinator, programme, body, field):
    session_id = programme["main"].session_ids[0]
    for record in body.get("records", []):
        if record["user_id"] in (0, 1):
            record["user_id"] = coordinator.id
    response = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=bearer(client, trainer), json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in str(response.json["errors"])
    assert written(app) == (0, 0, 0)


def test_attendance_for_a_person_not_enrolled_writes_nothing(app, client, trainer, coordinator, factory, programme):
    stranger = factory.user("coordinator")
    response = client.put(
        f"/api/v1/sessions/{programme['main'].session_ids[0]}/attendance",
        headers=bearer(client, trainer),
        json={
            "version": 0,
            "records": [{"user_id": coordinator.id, "status": "present"}, {"user_id": stranger.id, "status": "present"}],
        },
    )
    assert response.status_code == 422
    assert "eingeschrieben" in response.json["errors"]["records"][str(stranger.id)][0]
    assert written(app) == (0, 0, 0)


@pytest.mark.parametrize("who", ["coordinator", "other_trainer"])
def test_coordinator_and_trainer_of_another_series_get_403(app, client, request, coordinator, programme, who):
    headers = bearer(client, request.getfixturevalue(who))
    main = programme["main"]
    session_url = f"/api/v1/sessions/{main.session_ids[0]}/attendance"
    assert client.get(session_url, headers=headers).status_code == 403
    response = client.put(
        session_url, headers=headers, json={"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]}
    )
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert client.get(f"/api/v1/modules/{main.module_ids[0]}/assessments", headers=headers).status_code == 403
    response = client.put(
        f"/api/v1/modules/{main.module_ids[0]}/assessments/{coordinator.id}", headers=headers, json={"result": "passed"}
    )
    assert response.status_code == 403
    assert written(app) == (0, 0, 0)


def test_unknown_objects_are_404(client, admin):
    headers = bearer(client, admin)
    assert client.get("/api/v1/sessions/999999/attendance", headers=headers).status_code == 404
    assert client.get(f"/api/v1/sessions/{2**40}/attendance", headers=headers).status_code == 404
    assert client.get("/api/v1/modules/999999/assessments", headers=headers).status_code == 404
    assert client.put("/api/v1/modules/999999/assessments/1", headers=headers, json={"result": "passed"}).status_code == 404


def test_writes_need_a_bearer_token_not_the_browser_session(app, client, login, trainer, coordinator, programme):
    login(client, trainer)
    url = f"/api/v1/sessions/{programme['main'].session_ids[0]}/attendance"
    assert client.get(url).status_code == 200  # reading with the session is fine
    response = client.put(url, json={"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]})
    assert response.status_code == 401
    assert written(app) == (0, 0, 0)


def test_assessments_record_history_and_refuse_bad_input(app, client, trainer, coordinator, other_coordinator, programme):
    pass_fail, points = programme["main"].module_ids
    headers = bearer(client, trainer)
    url = f"/api/v1/modules/{pass_fail}/assessments/{coordinator.id}"
    response = client.put(url, headers=headers, json={"result": "failed", "feedback": "Skizze fehlt"})
    assert response.status_code == 200 and response.json["recorded"] is True
    response = client.put(url, headers=headers, json={"result": "failed", "feedback": "Skizze fehlt"})
    assert response.json["recorded"] is False and response.json["current"]["attempt"] == 1
    response = client.put(
        url, headers=headers, json={"result": "passed", "assessed_on": "2026-01-15", "version": response.json["version"]}
    )
    assert response.json["current"]["attempt"] == 2
    sheet = client.get(f"/api/v1/modules/{pass_fail}/assessments", headers=headers).json
    record = next(r for r in sheet["records"] if r["user_id"] == coordinator.id)
    assert record["current"]["result"] == "passed" and record["current"]["assessed_on"] == "2026-01-15"
    assert [(a["attempt"], a["result"]) for a in record["history"]] == [(1, "failed")]
    assert sheet["module"]["assessment_kind"] == "pass_fail"

    # Stale version: 409, nothing written.
    response = client.put(url, headers=headers, json={"result": "failed", "version": 0})
    assert response.status_code == 409 and response.json["current_version"] == sheet["version"]

    points_url = f"/api/v1/modules/{points}/assessments/{other_coordinator.id}"
    for body, status in [
        ({"points": 101}, 422),
        ({"points": -1}, 422),
        ({"points": 50.123}, 422),
        ({"result": "passed"}, 422),
        ({"result": "passed", "points": 70}, 422),
        ({}, 422),
        ({"points": "viel"}, 422),
        ({"points": 70, "assessed_on": "2999-01-01"}, 422),
    ]:
        response = client.put(points_url, headers=headers, json=body)
        assert response.status_code == status, (body, response.json)
        assert response.mimetype == PROBLEM
    assert written(app) == (0, 2, 2)
    response = client.put(points_url, headers=headers, json={"points": 59.5})
    assert response.json["current"]["result"] == "failed" and response.json["current"]["points"] == 59.5
    response = client.put(f"/api/v1/modules/{points}/assessments/999999", headers=headers, json={"points": 70})
    assert response.status_code == 422


def test_openapi_document_lists_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert {
        "/api/v1/series",
        "/api/v1/sessions/{session_id}/attendance",
        "/api/v1/modules/{module_id}/assessments/{user_id}",
    } <= set(paths)
    put = paths["/api/v1/sessions/{session_id}/attendance"]["put"]
    assert {"200", "403", "409", "422"} <= set(put["responses"])
