"""Security headers on every response, error pages included; no inline script or style anywhere."""

from __future__ import annotations

import re

import pytest
from flask import abort

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.routes import MissingSample, all_routes, build_url
from wirlearn.core.access import AccessRule

REQUIRED_CSP = ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")


def assert_security_headers(response, where: str, *, production: bool = False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in REQUIRED_CSP:
        assert directive in csp, f"{where}: CSP lacks {directive!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where
    assert headers.get("X-Frame-Options") == "DENY", where
    if production:
        assert headers.get("Strict-Transport-Security", "").startswith("max-age=63072000"), where


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def assert_no_inline_code(response, where: str) -> None:
    if response.mimetype != "text/html":
        return
    page = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(page), f"{where}: inline <script>"
    assert not INLINE_HANDLER.search(page), f"{where}: inline event handler"
    assert not INLINE_STYLE.search(page), f"{where}: inline style attribute"


@pytest.fixture
def values(programme, coordinator, app):
    from tests.functional.test_access_matrix import sample_values

    return sample_values(app, programme, coordinator)


def get_routes(app):
    return [rule for rule, method in all_routes(app) if method == "GET"]


@pytest.mark.parametrize("who", ["anonymous", "admin", "trainer", "coordinator"])
def test_every_get_route_carries_the_headers(app, login, values, who, request):
    client = app.test_client()
    if who != "anonymous":
        login(client, request.getfixturevalue(who))
    checked = 0
    for rule in get_routes(app):
        try:
            url = build_url(app, rule, values)
        except MissingSample as error:
            pytest.fail(str(error))
        response = client.get(url)
        response.close()
        where = f"{who} GET {url} -> {response.status_code}"
        assert response.status_code < 500, where
        assert_security_headers(response, where)
        assert_no_inline_code(response, where)
        if who != "anonymous" and rule.endpoint != "static":
            assert response.headers.get("Cache-Control") == "no-store", where
        checked += 1
    assert checked >= 10


def test_static_files_are_not_marked_no_store_for_anonymous_visitors(client):
    response = client.get("/static/css/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert_security_headers(response, "static")


def test_sign_in_page_is_not_cached(app, client):
    """It sets a session cookie carrying the CSRF token."""
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.get("/anmelden")
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def failing_routes(app):
    def public(view):
        view.access_rule = AccessRule(public=True)
        return view

    @app.get("/test-fehler/<int:code>")
    @public
    def fail_with(code: int):
        abort(code)

    @app.get("/test-absturz")
    @public
    def crash():
        raise RuntimeError("geheimer Stacktrace")

    @app.get("/test-datenbank-weg")
    @public
    def database_gone():
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    return app


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 413, 429, 500, 503])
def test_error_pages_carry_the_headers(failing_routes, client, code):
    response = client.get(f"/test-fehler/{code}")
    assert response.status_code == code
    assert_security_headers(response, f"error {code}")
    assert_no_inline_code(response, f"error {code}")


def test_unhandled_exception_and_database_failure_pages_carry_the_headers(failing_routes, client):
    crash = client.get("/test-absturz")
    assert crash.status_code == 500
    assert "geheimer Stacktrace" not in crash.get_data(as_text=True)
    assert_security_headers(crash, "500")
    gone = client.get("/test-datenbank-weg")
    assert gone.status_code == 503
    assert gone.headers["Retry-After"] == "30"
    assert_security_headers(gone, "503")


def test_api_errors_carry_the_headers(client):
    response = client.get("/api/v1/gibt-es-nicht")
    assert response.status_code == 404
    assert_security_headers(response, "api 404")


def test_method_not_allowed_and_too_large_carry_the_headers(client):
    assert_security_headers(client.delete("/anmelden"), "405")
    big = client.post("/anmelden", data={"email": "x" * (3 * 1024 * 1024)})
    assert big.status_code == 413
    assert "Anfrage zu groß" in big.get_data(as_text=True)
    assert_security_headers(big, "413")


def test_production_sends_hsts(monkeypatch, database_url):
    from config import ProductionConfig
    from wirlearn import create_app

    monkeypatch.setenv("BASE_URL", "https://zertifikate.example")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "WIR-Qualifizierung <noreply@zertifikate.example>")
    app = create_app(
        ProductionConfig, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=database_url, BASE_URL="https://zertifikate.example"
    )
    client = app.test_client()
    for path in ("/anmelden", "/gibt-es-nicht", "/static/css/app.css"):
        response = client.get(path, base_url="https://zertifikate.example")
        response.close()
        assert_security_headers(response, path, production=True)
    from wirlearn.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/anmelden").headers
