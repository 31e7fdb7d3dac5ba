"""CSRF, tested with CSRF switched on: every state-changing browser request needs the token of
its own session; the API takes no cookie-only writes; no GET changes anything."""

from __future__ import annotations

import re

import pytest

from tests.certificate_support import signing_key_dir  # noqa: F401 - fixture
from tests.functional.test_access_matrix import ROLES, sample_values
from tests.routes import all_routes, build_url, changed_tables, snapshot


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811 - the imported fixture, requested here
    return {"WTF_CSRF_ENABLED": True, "SIGNING_KEY_DIR": str(signing_key_dir)}


def csrf_token(client, path: str = "/anmelden") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def csrf_login(client, user) -> None:
    token = csrf_token(client)
    response = client.post("/anmelden", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


# Form posts that come from another site by design: a learning platform posts the login
# initiation and the launch (LTI 1.3). The signed id_token and the single-use state protect them.
CSRF_EXEMPT = {"lti.login", "lti.launch"}


def test_only_the_listed_posts_skip_the_token(app):
    from wirlearn.extensions import csrf

    exempt = {
        rule.endpoint
        for rule, _method in all_routes(app)
        if f"{app.view_functions[rule.endpoint].__module__}.{app.view_functions[rule.endpoint].__name__}" in csrf._exempt_views
    }
    assert exempt == CSRF_EXEMPT


def test_every_browser_post_needs_the_token(app, admin, programme, coordinator):
    client = app.test_client()
    csrf_login(client, admin)
    values = sample_values(app, programme, coordinator)
    checked = []
    for rule, method in all_routes(app):
        if method == "GET" or rule.rule.startswith("/api/") or rule.endpoint in CSRF_EXEMPT:
            continue
        url = build_url(app, rule, values)
        before = snapshot(app)
        response = client.open(url, method=method, data={"email": admin.email, "password": admin.password})
        where = f"{method} {url}"
        assert response.status_code == 400, f"{where}: {response.status_code}"
        assert "Das Formular ist abgelaufen" in response.get_data(as_text=True), where
        assert changed_tables(before, snapshot(app)) == [], where
        checked.append(where)
    assert len(checked) >= 20
    # Still signed in: nothing above (logout included) took effect.
    assert client.get("/start").status_code == 200


def test_sign_in_form_needs_the_token(client, coordinator):
    """Login CSRF: a foreign site cannot sign a visitor into the attacker's account."""
    response = client.post("/anmelden", data={"email": coordinator.email, "password": coordinator.password})
    assert response.status_code == 400
    csrf_login(client, coordinator)


def test_token_of_another_session_is_refused(app, admin):
    attacker, victim = app.test_client(), app.test_client()
    stolen = csrf_token(attacker)
    csrf_login(victim, admin)
    response = victim.post("/abmelden", data={"csrf_token": stolen})
    assert response.status_code == 400
    assert victim.get("/start").status_code == 200


def test_language_switch_needs_the_token(client):
    assert client.post("/sprache", data={"lang": "en"}).status_code == 400


def test_api_refuses_writes_with_only_the_cookie(app, coordinator):
    """Bearer tokens are never sent by a browser on its own; a cookie alone does not write."""
    from wirlearn.api.auth import authenticate_api_request
    from wirlearn.api.problems import ApiProblem

    client = app.test_client()
    csrf_login(client, coordinator)
    cookie = client.get_cookie("wirlearn_session").value
    with (
        app.test_request_context("/api/v1/x", method="POST", headers={"Cookie": f"wirlearn_session={cookie}"}),
        pytest.raises(ApiProblem) as refused,
    ):
        authenticate_api_request()
    assert refused.value.code == 401


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_anything(app, login, programme, coordinator, role, request):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    if role != "anonymous":
        login(client, request.getfixturevalue(role))
    values = sample_values(app, programme, coordinator)
    # Refused accesses are audited on purpose; everything else must stay as it is.
    before = snapshot(app, skip=("audit_events",))
    for rule, method in all_routes(app):
        if method != "GET":
            continue
        client.get(build_url(app, rule, values)).close()
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []
