"""Self check-in attempts are limited per person and per address."""

from __future__ import annotations

import pytest

from tests.functional.test_checkin import make_running
from tests.support import bearer


@pytest.fixture
def app_settings():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_CHECKIN_PER_USER": "5 per minute",
        "RATELIMIT_CHECKIN_PER_ADDRESS": "8 per minute",
    }


def test_check_in_is_limited_per_person_and_per_address(app, factory, trainer, coordinator, other_coordinator):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator), days=((0,), (7,)))
    session_id = series.sessions_by_module[series.module_ids[0]][0]
    make_running(app, session_id)
    client = app.test_client()
    url = f"/api/v1/sessions/{session_id}/checkin"

    def attempt(headers, address):
        return client.post(url, headers=headers, json={"token": "x" * 16}, environ_base={"REMOTE_ADDR": address})

    first = bearer(client, coordinator)
    codes = [attempt(first, "198.51.100.1").status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]
    refused = attempt(first, "198.51.100.2")  # another address does not help the same person
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert "Retry-After" in refused.headers

    second = bearer(client, other_coordinator)
    codes = [attempt(second, "198.51.100.1").status_code for _ in range(4)]
    # The address has used 5 of its 8 (the refused attempt counts too): 2 more, then refused.
    assert codes[:2] == [422, 422] and codes[-1] == 429
