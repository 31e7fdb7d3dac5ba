"""Schemathesis against the JSON API: every operation in the OpenAPI document, called with
generated parameters and bodies as an admin, answers without a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.functional.test_access_matrix import sample_values


@pytest.fixture
def api_schema(app, programme, coordinator):
    sample_values(app, programme, coordinator)  # a certificate, so codes can be found
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def admin_headers(app, admin):
    response = app.test_client().post("/api/v1/token", json={"email": admin.email, "password": admin.password})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_api_answers_without_server_error(api_schema, admin_headers):
    from hypothesis import given

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    checked = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            response = case.call(headers=admin_headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
            if response.status_code >= 400:
                content_type = (response.headers.get("content-type") or [""])[0]
                assert content_type.startswith("application/problem+json"), where

        call()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert any("/token" in entry for entry in checked)
