"""The lean path of the public verification page and JSON (wirlearn.core.lean) answers every
status it can answer — 200, 404, 405, 429, 500 — with the same status, the same security and
rate-limit headers and the same rate limits as the full stack (``LEAN_PUBLIC_PATH = False``),
and never with a cookie."""

from __future__ import annotations

import pytest

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import services
from wirlearn.core.security import HSTS_HEADER, STATIC_HEADERS
from wirlearn.extensions import db
from wirlearn.verify import services as verify_services

UNKNOWN = "ABCDEFGHJKMNPQRSTUVWXYZ23456"
LIMIT = 3  # requests per minute and address in these tests

# Headers that must be equal on both paths (names compared case-insensitively).
COMPARED = {name.lower() for name, _value in STATIC_HEADERS} | {
    HSTS_HEADER[0].lower(),
    "cache-control",
    "x-robots-tag",
    "access-control-allow-origin",
    "content-type",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
}
# Present on both, values depend on the second the request was made.
PRESENT = {"x-ratelimit-reset", "retry-after"}


@pytest.fixture
def code(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        issued = services.issue_certificate(enrollment_id(app, programme["main"], coordinator)).code
        db.session.commit()
    return issued


def _answers(database_url, signing_key_dir, code, monkeypatch, *, lean: bool) -> dict[tuple[str, str], object]:  # noqa: F811
    """Every case on one app: (route, case) → the response."""
    from wirlearn import create_app

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        SIGNING_KEY_DIR=str(signing_key_dir),
        RATELIMIT_ENABLED=True,
        RATELIMIT_VERIFY=f"{LIMIT} per minute",
        HSTS=True,
        LEAN_PUBLIC_PATH=lean,
    )
    answers = {}
    # A browser that has a session cookie from elsewhere in the app sends it along.
    headers = {"Cookie": "session=eyJsYW5nIjoiZW4ifQ.bogus", "Accept-Language": "de"}
    for route in ("/v/", "/api/v1/verify/"):
        # Each route from its own address: the limit counts per address (page and JSON share it).
        client = app.test_client()
        environ = {"REMOTE_ADDR": f"203.0.113.{1 if route == '/v/' else 2}"}

        def get(path, client=client, environ=environ, **kwargs):
            return client.open(path, headers=headers, environ_base=environ, **kwargs)

        answers[route, "200"] = get(f"{route}{code}")
        answers[route, "404"] = get(f"{route}{UNKNOWN}")
        with monkeypatch.context() as patch:
            patch.setattr(verify_services, "verify_code", lambda _code: (_ for _ in ()).throw(RuntimeError("disk gone")))
            answers[route, "500"] = get(f"{route}{code}")
        answers[route, "429"] = get(f"{route}{code}")  # the fourth in a minute
        answers[route, "405"] = get(f"{route}{code}", method="POST")
    with app.app_context():
        db.engine.dispose()
    return answers


def _without_clock(body):
    return {name: value for name, value in (body or {}).items() if name != "checked_at"}


def _compared(response) -> dict[str, str]:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return {name: value for name, value in headers.items() if name in COMPARED} | {
        name: "present" for name in PRESENT if name in headers
    }


def test_lean_path_answers_like_the_full_stack_without_cookies(database_url, signing_key_dir, code, monkeypatch):  # noqa: F811
    full = _answers(database_url, signing_key_dir, code, monkeypatch, lean=False)
    lean = _answers(database_url, signing_key_dir, code, monkeypatch, lean=True)
    expected_status = {"200": 200, "404": 404, "500": 500, "429": 429, "405": 405}
    for key, response in lean.items():
        route, case = key
        assert response.status_code == expected_status[case] == full[key].status_code, key
        assert "Set-Cookie" not in response.headers, key
        assert _compared(response) == _compared(full[key]), key
        for name, value in STATIC_HEADERS + (HSTS_HEADER,):
            assert response.headers.get(name) == value, (key, name)
        if case != "405":  # the limiter counts requests it routed; both paths count the same ones
            assert response.headers["X-RateLimit-Limit"] == str(LIMIT), key
        if route == "/api/v1/verify/":  # JSON and problem+json alike, but for the moment checked
            assert _without_clock(response.get_json()) == _without_clock(full[key].get_json()), key
    # The rate limit is the same budget: three answered, the fourth refused, with Retry-After.
    assert lean["/v/", "429"].headers["X-RateLimit-Remaining"] == "0"
    assert "Zu viele Anfragen" in lean["/v/", "429"].get_data(as_text=True)
    assert "Interner Fehler" in lean["/v/", "500"].get_data(as_text=True)
    # Errors under /v/ show the verification pages' frame on both paths: no form, no session.
    assert "Set-Cookie" not in full["/v/", "500"].headers
    assert full["/v/", "500"].mimetype == lean["/v/", "500"].mimetype == "text/html"
    # And the lean path did skip the session: the full stack read it (language), so its answer
    # varies by cookie; the lean one does not.
    assert "Cookie" in full["/v/", "200"].headers.get("Vary", "")
    assert "Cookie" not in lean["/v/", "200"].headers.get("Vary", "")


def test_lean_path_is_limited_to_the_public_verification_routes(app, client, admin, login):
    from wirlearn.core.lean import LEAN_PUBLIC_ROUTES

    assert LEAN_PUBLIC_ROUTES == ("/v/", "/api/v1/verify/")
    # Signing in still sets the session cookie, and the lookup form under /v/ needs none.
    login(client, admin)
    assert client.get("/v/").status_code == 200
    assert "Set-Cookie" not in client.get("/v/").headers
