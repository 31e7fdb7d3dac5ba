"""Bad input never reaches a server error: every query parameter any page or API call reads and
every JSON field of the API get huge and negative integers, digits that are not ASCII, lone
surrogates, absurdly deep nesting and long text — and answer with a clear refusal (400, 404,
422) or the page, never 500. The parameters are not listed by hand: a crawl of every GET route
records which ones the app reads, and the OpenAPI document names every JSON field, so a
parameter added later is tested without touching this file."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.functional.test_access_matrix import sample_values
from tests.routes import MissingSample, all_routes, build_url
from tests.support import bearer
from wirlearn.core.timeutil import local_today

# Query string values (as text) and JSON values that have brought pages down elsewhere.
HOSTILE_TEXT = [
    "1" * 40,
    str(2**63),
    "-1",
    "١٢٣",  # Arabic-Indic digits: int() reads them, the database does not
    "²",  # str.isdigit() says yes, int() says no
    "１２",  # full-width
    " 7 ",
    "9999-12-31",
    "0001-01-01",
    "x" * 5000,
]
# Bytes that are no UTF-8 at all (an encoded lone surrogate, an overlong NUL, a stray byte).
RAW_QUERY_VALUES = ["%ED%A0%80", "%C0%80", "%FF%FE"]
HOSTILE_JSON = [
    10**30,
    -(10**30),
    2**63,
    2**31,
    -1,
    1e308,
    -1e308,
    "١٢٣",
    "\ud800",  # a lone surrogate (JSON allows the escape, UTF-8 cannot hold it)
    "x\udfffy",
    "x" * 20000,
    [],
    {},
    None,
    True,
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
]


class RecordingArgs(ImmutableMultiDict):
    """request.args that remembers which names the app asked for."""

    seen: set[str] = set()

    def get(self, key, default=None, type=None):
        RecordingArgs.seen.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        RecordingArgs.seen.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        RecordingArgs.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.seen.add(key)
        return super().__contains__(key)


@pytest.fixture
def world(app, admin, trainer, coordinator, other_coordinator, programme):
    values = sample_values(app, programme, coordinator)
    clients = {}
    for name, user in (("admin", admin), ("trainer", trainer), ("coordinator", coordinator)):
        browser = app.test_client()
        response = browser.post("/anmelden", data={"email": user.email, "password": user.password})
        assert response.status_code == 302
        clients[name] = browser
    headers = bearer(app.test_client(), admin)
    return {"values": values, "clients": clients, "headers": headers}


def get(world, role, url):
    return world["clients"][role].get(url, headers=world["headers"] if url.startswith("/api/") else {})


@pytest.fixture
def query_parameters(app, world, monkeypatch):
    """(role, path, parameter) for every query parameter a GET route reads, found by crawling."""
    monkeypatch.setattr(app.request_class, "parameter_storage_class", RecordingArgs)
    found = set()
    for rule, method in all_routes(app):
        if method != "GET" or rule.endpoint == "static":
            continue
        try:
            path = build_url(app, rule, world["values"])
        except MissingSample:
            continue
        for role in ("admin", "trainer", "coordinator"):  # the first one allowed to see the page
            RecordingArgs.seen = set()
            response = get(world, role, path)
            response.close()
            if response.status_code < 400:
                found.update((path, name, role) for name in RecordingArgs.seen)
                break
    return sorted((role, path, name) for path, name, role in found)


def test_every_query_parameter_survives_hostile_values(query_parameters, world):
    names = {(path.split("?")[0], name) for _role, path, name in query_parameters}
    # The crawl must really have found the filters and paging of the admin lists.
    assert {("/verwaltung/nutzer/", "page"), ("/verwaltung/protokoll", "page"), ("/verwaltung/protokoll", "person")} <= names
    assert len(query_parameters) >= 15, query_parameters
    failures = []
    for role, path, name in query_parameters:
        for value in HOSTILE_TEXT + RAW_QUERY_VALUES:
            query = f"{quote(name)}={value}" if value in RAW_QUERY_VALUES else urlencode({name: value})
            response = world["clients"][role].get(
                path, query_string=query, headers=world["headers"] if path.startswith("/api/") else {}
            )
            response.close()
            if response.status_code >= 500:
                failures.append(f"{role} GET {path}?{name}={value[:20]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)

    @settings(max_examples=40, deadline=None, database=None)
    @given(data=st.data())
    def any_number_or_text(data):
        role, path, name = data.draw(st.sampled_from(query_parameters))
        value = data.draw(
            st.integers().map(str)
            | st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
            | st.sampled_from(HOSTILE_TEXT)
        )
        response = get(world, role, path + "?" + urlencode({name: value}))
        response.close()
        assert response.status_code < 500, (role, path, name, value)

    any_number_or_text()


# --- JSON fields of the API -------------------------------------------------------------------


def resolve(document: dict, schema: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def sample(document: dict, schema: dict, name: str, values: dict):
    """A valid-looking value for a field, so a hostile one in another field gets past validation."""
    schema = resolve(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        if name == "version":
            return 0
        return values.get(name, values["user_id"])
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(document, schema.get("items", {}), name, values)]
    if kind == "object" or "properties" in schema:
        return {
            key: sample(document, child, key, values)
            for key, child in schema.get("properties", {}).items()
            if key in schema.get("required", [])
        }
    if schema.get("format") == "date":
        return local_today().isoformat()
    return {"email": "x@example.org", "password": "falsch-falsch-falsch", "status": "present"}.get(name, "x")


def field_paths(document: dict, schema: dict, prefix: tuple = ()) -> list[tuple]:
    """Every field of a body schema, nested ones (in objects and arrays of objects) included."""
    schema = resolve(document, schema)
    paths = []
    for key, child in schema.get("properties", {}).items():
        child = resolve(document, child)
        paths.append((*prefix, key))
        if child.get("type") == "array" and "properties" in resolve(document, child.get("items", {})):
            paths.extend(field_paths(document, child["items"], (*prefix, key, 0)))
        elif "properties" in child:
            paths.extend(field_paths(document, child, (*prefix, key)))
    return paths


def with_value(body, path: tuple, value):
    """A copy of ``body`` with the field at ``path`` set to ``value`` (parents made as needed)."""
    body = json.loads(json.dumps(body))
    node = body
    for part, following in zip(path, path[1:], strict=False):
        empty = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(empty)
            if not isinstance(node[part], (dict, list)):
                node[part] = empty
        elif not isinstance(node.get(part), (dict, list)):
            node[part] = empty
        node = node[part]
    node[path[-1]] = value
    return body


@pytest.fixture
def json_fields(app, world):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    fields = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue  # "parameters" shared by the operations of a path
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            url = path
            for name, value in world["values"].items():
                url = url.replace("{" + name + "}", str(value))
            baseline = sample(document, body["schema"], "", world["values"])
            fields.extend((method.upper(), url, baseline, field) for field in field_paths(document, body["schema"]))
    return fields


def send(world, method, url, body):
    return world["clients"]["admin"].open(
        url, method=method, data=json.dumps(body), content_type="application/json", headers=world["headers"]
    )


def test_every_json_field_survives_hostile_values(json_fields, world):
    names = {(method, url.split("/")[3], ".".join(map(str, field))) for method, url, _baseline, field in json_fields}
    assert ("POST", "token", "email") in names and ("POST", "certificates", "user_id") in names
    failures = []
    for method, url, baseline, field in json_fields:
        for value in HOSTILE_JSON:
            response = send(world, method, url, with_value(baseline, field, value))
            if response.status_code >= 500 or response.mimetype != "application/problem+json" and response.status_code >= 400:
                failures.append(f"{method} {url} {field}={str(value)[:20]!r}: {response.status_code} {response.mimetype}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("depth", [40, 5_000, 200_000])
def test_deeply_nested_json_is_refused_with_400(client, depth):
    body = "[" * depth + "]" * depth
    for url in ("/api/v1/token", "/api/v1/certificates"):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, (url, depth)
        assert response.mimetype == "application/problem+json"


def test_lone_surrogate_in_json_is_refused_with_400(client):
    response = client.post(
        "/api/v1/token", data='{"email": "\\ud800@example.org", "password": "x"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
