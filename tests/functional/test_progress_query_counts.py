"""The overview, the dashboard and the progress API cost the same number of SQL statements for
3 participants as for 300 (no query per participant or per module)."""

from __future__ import annotations

import pytest

from tests.progress_data import populate, record
from tests.querycount import count_queries
from wirlearn.extensions import db


@pytest.fixture
def two_series(app, factory, admin, trainer):
    """A small (3 + 1) and a large (300 + 1) series, each with a coordinator who can sign in."""
    small_coordinator = factory.user("coordinator", email="klein@example.org", region="Fulda")
    large_coordinator = factory.user("coordinator", email="gross@example.org", region="Kassel")
    small = factory.series(trainers=(trainer,), coordinators=(small_coordinator,))
    large = factory.series(trainers=(trainer,), coordinators=(large_coordinator,))
    populate(app, small, 3)
    populate(app, large, 300)
    record(app, small, small_coordinator)
    record(app, large, large_coordinator)
    return {"small": (small, small_coordinator), "large": (large, large_coordinator)}


def statements(app, client, path: str, headers=None) -> int:
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as counter:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return counter.count


def test_overview_and_series_api_cost_the_same_for_3_and_300(app, client, login, admin, trainer, two_series):
    login(client, admin)
    counts = {name: statements(app, client, f"/programm/reihen/{series.id}") for name, (series, _user) in two_series.items()}
    assert counts["small"] == counts["large"], counts
    filtered = {
        name: statements(app, client, f"/programm/reihen/{series.id}?bezirk=Kassel&sort=status")
        for name, (series, _user) in two_series.items()
    }
    assert filtered["small"] == filtered["large"], filtered
    api = {name: statements(app, client, f"/api/v1/series/{series.id}/progress") for name, (series, _user) in two_series.items()}
    assert api["small"] == api["large"], api
    exports = {
        name: statements(app, client, f"/programm/reihen/{series.id}/export.csv") for name, (series, _user) in two_series.items()
    }
    assert exports["small"] == exports["large"], exports
    client.post("/abmelden")
    login(client, trainer)
    as_trainer = {name: statements(app, client, f"/programm/reihen/{series.id}") for name, (series, _user) in two_series.items()}
    assert as_trainer["small"] == as_trainer["large"], as_trainer


def test_dashboard_and_own_api_cost_the_same_for_3_and_300(app, login, two_series):
    counts = {}
    for name, (_series, user) in two_series.items():
        client = app.test_client()
        login(client, user)
        counts[name] = (
            statements(app, client, "/mein-fortschritt"),
            statements(app, client, "/api/v1/me/progress"),
            statements(app, client, f"/api/v1/users/{user.id}/progress"),
        )
    assert counts["small"] == counts["large"], counts
