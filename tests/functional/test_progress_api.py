"""GET /api/v1/me/progress, /api/v1/users/{id}/progress and /api/v1/series/{id}/progress."""

from __future__ import annotations

from tests.progress_data import record
from tests.support import bearer


def test_my_progress_has_the_documented_shape(app, client, coordinator, programme):
    series = programme["main"]
    record(app, series, coordinator, results={series.module_ids[0]: "passed", series.module_ids[1]: "failed"})
    response = client.get("/api/v1/me/progress", headers=bearer(client, coordinator))
    assert response.status_code == 200
    (item,) = response.json
    assert {"user_id", "name", "region", "attendance_rate", "modules", "eligible", "missing"} <= set(item)
    assert item["user_id"] == coordinator.id
    assert item["name"] == "Ayşe Yılmaz" and item["region"] == "Darmstadt"
    assert item["series_id"] == series.id
    assert item["attendance_rate"] == 1.0
    assert item["eligible"] is False and item["reachable"] is True
    assert item["missing"] == ["Modul 2: nicht bestanden"]
    first, second = item["modules"]
    assert {"module_id", "title", "sessions_attended", "sessions_held", "assessment"} <= set(first)
    assert (first["sessions_attended"], first["sessions_held"], first["assessment"]) == (2, 2, "passed")
    assert second["assessment"] == "failed"


def test_my_progress_needs_a_caller(client):
    response = client.get("/api/v1/me/progress")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_the_browser_session_may_read_own_progress(client, login, coordinator, programme):
    login(client, coordinator)
    response = client.get("/api/v1/me/progress")
    assert response.status_code == 200 and len(response.json) == 1


def test_user_progress_per_role(client, admin, trainer, other_trainer, coordinator, other_coordinator, programme):
    path = f"/api/v1/users/{coordinator.id}/progress"
    # Admin: anyone.
    assert client.get(path, headers=bearer(client, admin)).json[0]["user_id"] == coordinator.id
    # Trainer of the series: yes; trainer of another series: as if there were nobody.
    assert len(client.get(path, headers=bearer(client, trainer)).json) == 1
    response = client.get(path, headers=bearer(client, other_trainer))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    # A coordinator: themselves yes, someone else 404.
    assert client.get(path, headers=bearer(client, coordinator)).status_code == 200
    other = client.get(f"/api/v1/users/{other_coordinator.id}/progress", headers=bearer(client, coordinator))
    assert other.status_code == 404
    assert "Ayşe" not in other.get_data(as_text=True) and "Đorđe" not in other.get_data(as_text=True)
    # Unknown person: 404 for everyone.
    assert client.get("/api/v1/users/999999/progress", headers=bearer(client, admin)).status_code == 404


def test_series_progress_per_role(client, admin, trainer, other_trainer, coordinator, programme):
    series = programme["main"]
    path = f"/api/v1/series/{series.id}/progress"
    items = client.get(path, headers=bearer(client, admin)).json
    assert [item["name"] for item in items] == ["Ayşe Yılmaz", "Đorđe Petrović"]
    assert client.get(path, headers=bearer(client, trainer)).status_code == 200
    assert client.get(path, headers=bearer(client, other_trainer)).status_code == 404
    assert client.get(path, headers=bearer(client, coordinator)).status_code == 403
    assert client.get("/api/v1/series/999999/progress", headers=bearer(client, admin)).status_code == 404


def test_progress_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/me/progress", "/api/v1/users/{user_id}/progress", "/api/v1/series/{series_id}/progress"):
        assert "get" in spec["paths"][path], path
    schema = spec["components"]["schemas"]["ModuleProgress"]
    assert schema["properties"]["assessment"]["enum"] == ["passed", "failed", "pending"]
