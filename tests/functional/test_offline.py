"""Offline roll call, server side: the service worker, the list of what a device keeps, the
sign-out clean-up, and a repeated sync recorded once."""

from __future__ import annotations

from tests.support import bearer, written


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "caches.open" in body and "https://" not in body  # nothing from a CDN


def test_device_keeps_the_trainers_rosters_of_the_next_14_and_last_7_days(
    client, login, factory, trainer, other_trainer, coordinator
):
    mine = factory.series(trainers=(trainer,), coordinators=(coordinator,), days=((-8, -7, 0), (14, 15)))
    theirs = factory.series(trainers=(other_trainer,), coordinators=(coordinator,), days=((0,), (1,)))
    login(client, trainer)
    manifest = client.get("/offline/manifest.json").json
    by_module = mine.sessions_by_module
    kept = [f"/termine/{sid}/anwesenheit" for sid in (by_module[mine.module_ids[0]][1:] + by_module[mine.module_ids[1]][:1])]
    assert manifest["pages"] == ["/training", *kept]
    assert all(f"/termine/{sid}/anwesenheit" not in manifest["pages"] for sid in theirs.session_ids)
    assert "/offline" in manifest["assets"]
    assert any(url.endswith("kern.min.css") for url in manifest["assets"])
    assert any(url.endswith(".woff2") for url in manifest["assets"])
    for url in manifest["assets"]:
        response = client.get(url)
        response.close()
        assert response.status_code == 200, url


def test_coordinators_get_no_offline_copy(client, login, coordinator):
    login(client, coordinator)
    assert client.get("/offline/manifest.json").status_code == 403
    assert "offline.js" not in client.get("/start", follow_redirects=True).get_data(as_text=True)


def test_trainer_pages_load_the_offline_script(client, login, trainer):
    login(client, trainer)
    page = client.get("/training").get_data(as_text=True)
    assert "js/offline.js" in page and 'data-sw="/sw.js"' in page


def test_sign_out_clears_the_device(client, login, trainer):
    login(client, trainer)
    response = client.post("/abmelden")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_a_repeated_sync_is_recorded_once(app, client, factory, trainer, coordinator, other_coordinator):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator), days=((-1,), (-2,)))
    session_id = series.session_ids[0]
    headers = bearer(client, trainer)
    body = {
        "version": 0,
        "submission_key": "offline-abc123",
        "records": [{"user_id": coordinator.id, "status": "present"}, {"user_id": other_coordinator.id, "status": "late"}],
    }
    before = written(app)
    first = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=headers, json=body)
    assert first.status_code == 200 and first.json["version"] == 1
    # The answer got lost on the way; the device sends the same marks again.
    again = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=headers, json=body)
    assert again.status_code == 200 and again.json == {"version": 1, "changed_user_ids": []}
    rows, _assessments, events = written(app)
    assert (rows, events) == (before[0] + 2, before[2] + 2)
    too_long = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=headers, json=body | {"submission_key": "k" * 65})
    assert too_long.status_code == 422


def test_page_script_writes_with_the_session_and_csrf_token_only(app, login, factory, trainer, coordinator):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,), days=((-1,), (-2,)))
    session_id = series.session_ids[0]
    client = app.test_client()
    login(client, trainer)
    page = client.get(f"/termine/{session_id}/anwesenheit").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    body = {"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]}
    url = f"/api/v1/sessions/{session_id}/attendance"
    assert client.put(url, json=body).status_code == 401
    assert client.put(url, json=body, headers={"X-CSRFToken": "forged"}).status_code == 401
    saved = client.put(url, json=body, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json["changed_user_ids"] == [coordinator.id]


def test_the_banner_texts_for_refused_marks_follow_the_page_language(client, login, trainer):
    login(client, trainer)
    german = client.get("/training").get_data(as_text=True)
    assert 'data-text-refused-one="1 Änderung wurde abgelehnt"' in german
    assert 'data-text-discard="Verwerfen"' in german and 'data-text-roster="Zur Anwesenheitsliste"' in german
    assert 'data-text-status-late="verspätet"' in german
    client.post("/sprache", data={"lang": "en"})
    english = client.get("/training").get_data(as_text=True)
    assert 'data-text-refused-one="1 change was refused"' in english
    assert 'data-text-discard="Discard"' in english and 'data-text-status-late="late"' in english
    assert 'data-text-pending-many="{n} changes waiting to be sent"' in english
