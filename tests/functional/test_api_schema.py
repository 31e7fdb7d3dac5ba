"""Schemathesis against the whole OpenAPI document: generated requests (valid and invalid) to
every operation, in-process through WSGI, must never get a server error. Endpoints added later
are checked the same way without touching this file."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.functional.test_trainer_api import bearer

EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def can_be_made_invalid(operation) -> bool:
    """False for an operation whose only input is a free-form string in the path: every value is
    valid there, and searching for an invalid one only burns time."""
    if len(operation.body) or len(operation.query):
        return True
    for parameter in operation.path_parameters:
        schema = parameter.definition.get("schema", {})
        if schema.get("type") != "string" or set(schema) - {"type"}:
            return True
    return False


def test_openapi_document_is_valid_and_complete(schema):
    names = {f"{operation.method.upper()} {operation.path}" for operation in operations(schema)}
    assert "PUT /api/v1/sessions/{session_id}/attendance" in names
    assert "GET /api/v1/series" in names


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_with_a_server_error(
    app, client, schema, admin, trainer, coordinator, other_coordinator, programme, mode
):
    # An admin token reaches the deepest code (every series). Half of the cases get ids of real
    # objects (any id of this test's data), so requests get past "404 not found" into validation
    # and the services. Refusals for other roles are tested in test_trainer_api.py.
    tokens = [bearer(client, admin)]
    real_ids = sorted(
        {coordinator.id, other_coordinator.id}
        | {session_id for series in programme.values() for session_id in series.session_ids}
        | {module_id for series in programme.values() for module_id in series.module_ids}
    )
    failures = []
    unsatisfiable: list[str] = []

    def with_real_ids(case_and_choice):
        case, (use_real, picks) = case_and_choice
        if use_real and isinstance(case.path_parameters, dict):
            for index, key in enumerate(sorted(case.path_parameters)):
                case.path_parameters[key] = picks[index % len(picks)]
        return case

    def check_operation(operation):
        strategy = st.tuples(
            operation.as_strategy(generation_mode=mode),
            st.tuples(st.booleans(), st.lists(st.sampled_from(real_ids), min_size=2, max_size=2)),
        ).map(with_real_ids)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case):
            for headers in tokens:
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append((operation.method, operation.path, case.path_parameters, case.body, response.status_code))

        try:
            check()
        except Unsatisfiable:
            # Negative cases cannot be made for some operations (e.g. only free-form strings).
            if mode == GenerationMode.POSITIVE:
                raise
            unsatisfiable.append(f"{operation.method.upper()} {operation.path}")

    for operation in operations(schema):
        if mode == GenerationMode.NEGATIVE and not can_be_made_invalid(operation):
            continue
        check_operation(operation)
    assert failures == []
    # The trainer workflow's operations all have inputs that can be made invalid.
    assert not [name for name in unsatisfiable if "/attendance" in name or "/assessments" in name], unsatisfiable
