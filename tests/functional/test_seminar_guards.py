"""Attendance before a session has started: refused on the page and in the API, except an
announced absence ("entschuldigt"); the trainer start page lists sessions without a roster."""

from __future__ import annotations

from tests.support import bearer, written

PROBLEM = "application/problem+json"


def _future_series(factory, trainer, *people):
    # Module 1: a session next week; module 2: one held three days ago (never recorded).
    return factory.series(trainers=(trainer,), coordinators=people, days=((7,), (-3,)))


def test_api_refuses_a_future_session_except_excused(app, client, factory, trainer, coordinator, other_coordinator):
    series = _future_series(factory, trainer, coordinator, other_coordinator)
    future = series.sessions_by_module[series.module_ids[0]][0]
    headers = bearer(client, trainer)
    url = f"/api/v1/sessions/{future}/attendance"
    before = written(app)

    response = client.put(
        url,
        headers=headers,
        json={
            "version": 0,
            "records": [
                {"user_id": coordinator.id, "status": "present"},
                {"user_id": other_coordinator.id, "status": "excused", "note": "Urlaub"},
            ],
        },
    )
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "beginnt erst am" in response.json["detail"]
    assert "entschuldigt" in response.json["detail"]
    assert set(response.json["errors"]["records"]) == {str(coordinator.id)}
    assert written(app) == before  # the allowed row was not written half

    for status in ("late", "absent"):
        refused = client.put(
            url, headers=headers, json={"version": 0, "records": [{"user_id": coordinator.id, "status": status}]}
        )
        assert refused.status_code == 422

    announced = client.put(
        url,
        headers=headers,
        json={"version": 0, "records": [{"user_id": other_coordinator.id, "status": "excused", "note": "Urlaub"}]},
    )
    assert announced.status_code == 200
    roster = client.get(url, headers=headers).json
    assert {r["user_id"]: r["status"] for r in roster["records"]} == {coordinator.id: None, other_coordinator.id: "excused"}


def test_page_explains_and_refuses_a_future_session(app, client, login, factory, trainer, coordinator, other_coordinator):
    series = _future_series(factory, trainer, coordinator, other_coordinator)
    future = series.sessions_by_module[series.module_ids[0]][0]
    login(client, trainer)
    page = client.get(f"/termine/{future}/anwesenheit").get_data(as_text=True)
    assert "Dieser Termin hat noch nicht begonnen." in page
    assert "Abwesenheit angekündigt" in page
    assert "Alle anwesend" not in page  # nothing to fill before the start
    assert f'id="status-{coordinator.id}-present" name="status-{coordinator.id}" value="present" disabled' in page
    assert f'id="status-{coordinator.id}-excused" name="status-{coordinator.id}" value="excused">' in page

    before = written(app)
    response = client.post(
        f"/termine/{future}/anwesenheit",
        data={"version": "0", "submission_key": "k-future-1", f"status-{coordinator.id}": "present"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "beginnt erst am" in text and "Es wurde nichts gespeichert." in text
    assert written(app) == before

    response = client.post(
        f"/termine/{future}/anwesenheit",
        data={
            "version": "0",
            "submission_key": "k-future-2",
            f"status-{coordinator.id}": "excused",
            f"note-{coordinator.id}": "Elternzeit",
        },
    )
    assert response.status_code == 302
    assert written(app)[0] == before[0] + 1


def test_held_session_is_not_refused(client, factory, trainer, coordinator):
    series = _future_series(factory, trainer, coordinator)
    held = series.sessions_by_module[series.module_ids[1]][0]
    response = client.put(
        f"/api/v1/sessions/{held}/attendance",
        headers=bearer(client, trainer),
        json={"version": 0, "records": [{"user_id": coordinator.id, "status": "absent"}]},
    )
    assert response.status_code == 200


def test_start_page_lists_sessions_without_a_roster(client, login, factory, trainer, other_trainer, coordinator):
    series = _future_series(factory, trainer, coordinator)
    held = series.sessions_by_module[series.module_ids[1]][0]
    others = factory.series(trainers=(other_trainer,), coordinators=(coordinator,), days=((-2,), (-1,)))
    login(client, trainer)
    page = client.get("/training").get_data(as_text=True)
    assert "Anwesenheit fehlt" in page
    missing = page.split('id="fehlt-titel"', 1)[1].split("</section>", 1)[0]
    assert f"/termine/{held}/anwesenheit" in missing
    assert f"/termine/{series.sessions_by_module[series.module_ids[0]][0]}/anwesenheit" not in missing  # not held yet
    assert all(f"/termine/{sid}/anwesenheit" not in missing for sid in others.session_ids)  # not this trainer's

    client.put(
        f"/api/v1/sessions/{held}/attendance",
        headers=bearer(client, trainer),
        json={"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]},
    )
    page = client.get("/training").get_data(as_text=True)
    assert 'id="fehlt-titel"' not in page
