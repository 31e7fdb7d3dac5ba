"""Session hardening: renewed at sign-in, ended everywhere by logout, password change and
deactivation (a replayed old cookie no longer works), idle timeout and absolute lifetime (both
configurable), production cookie flags."""

from __future__ import annotations

import time

from tests.conftest import do_login

COOKIE = "wirlearn_session"


def signed_in(client) -> bool:
    response = client.get("/start")
    return response.status_code == 200


def age_session(client, *, login_ago: float | None = None, seen_ago: float | None = None) -> None:
    now = time.time()
    with client.session_transaction() as session:
        if login_ago is not None:
            session["login_at"] = int(now - login_ago)
        if seen_ago is not None:
            session["seen_at"] = int(now - seen_ago)


def replay(app, cookie_value: str):
    client = app.test_client()
    client.set_cookie(COOKIE, cookie_value)
    return client


def test_session_is_renewed_at_sign_in(app, client, coordinator):
    with client.session_transaction() as session:
        session["planted"] = "vom Angreifer"
    before = client.get_cookie(COOKIE).value
    do_login(client, coordinator)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["login_at"] and session["seen_at"]
    assert client.get_cookie(COOKIE).value != before


def test_idle_timeout_ends_the_session(app, client, login, coordinator):
    login(client, coordinator)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    age_session(client, seen_ago=idle - 60)
    assert signed_in(client)
    age_session(client, seen_ago=idle + 1)
    stale_cookie = client.get_cookie(COOKIE).value
    response = client.get("/start", follow_redirects=True)
    assert "Ihre Sitzung ist abgelaufen" in response.get_data(as_text=True)
    assert not signed_in(client)
    # The same cookie, replayed from elsewhere, is just as expired.
    assert not signed_in(replay(app, stale_cookie))


def test_activity_keeps_the_session_alive(app, client, login, coordinator):
    login(client, coordinator)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    for _ in range(3):
        age_session(client, seen_ago=idle - 30)
        assert signed_in(client)
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5


def test_absolute_lifetime_ends_even_an_active_session(app, client, login, coordinator):
    login(client, coordinator)
    lifetime = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    age_session(client, login_ago=lifetime - 60, seen_ago=0)
    assert signed_in(client)
    age_session(client, login_ago=lifetime + 1, seen_ago=0)
    stale_cookie = client.get_cookie(COOKIE).value
    assert not signed_in(client)
    assert not signed_in(replay(app, stale_cookie))


def test_timeouts_are_configurable(app, client, login, coordinator):
    app.config["SESSION_IDLE_MINUTES"] = 2
    login(client, coordinator)
    age_session(client, seen_ago=121)
    assert not signed_in(client)
    app.config["SESSION_IDLE_MINUTES"] = 60
    app.config["SESSION_ABSOLUTE_HOURS"] = 1
    login(client, coordinator)
    age_session(client, login_ago=3601, seen_ago=0)
    assert not signed_in(client)


def test_cookie_without_timestamps_is_not_a_session(app, client, login, coordinator):
    login(client, coordinator)
    with client.session_transaction() as session:
        del session["login_at"]
    assert not signed_in(client)


def test_logout_ends_every_session_of_the_user(app, login, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, coordinator)
    login(phone, coordinator)
    captured = phone.get_cookie(COOKIE).value
    laptop.post("/abmelden")
    assert not signed_in(phone)
    assert not signed_in(replay(app, captured))


def test_password_change_ends_old_sessions(app, login, coordinator):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, coordinator)
    login(phone, coordinator)
    captured = phone.get_cookie(COOKIE).value
    response = laptop.post(
        "/konto/passwort",
        data={"current": coordinator.password, "password": "ein ganz neues passwort", "confirm": "ein ganz neues passwort"},
    )
    assert response.status_code == 302
    assert not signed_in(laptop)
    assert not signed_in(replay(app, captured))


def test_deactivation_ends_the_sessions_of_that_user(app, login, admin, coordinator):
    browser, staff = app.test_client(), app.test_client()
    login(browser, coordinator)
    captured = browser.get_cookie(COOKIE).value
    login(staff, admin)
    staff.post(f"/verwaltung/nutzer/{coordinator.id}/deaktivieren")
    assert not signed_in(browser)
    # Even after reactivation the old cookie stays dead: the nonce changed.
    staff.post(f"/verwaltung/nutzer/{coordinator.id}/aktivieren")
    assert not signed_in(replay(app, captured))


def test_role_change_ends_the_sessions_of_that_user(app, login, admin, trainer):
    browser, staff = app.test_client(), app.test_client()
    login(browser, trainer)
    login(staff, admin)
    staff.post(
        f"/verwaltung/nutzer/{trainer.id}",
        data={"email": trainer.email, "display_name": trainer.display_name, "roles": ["admin", "trainer"], "region_id": ""},
    )
    assert not signed_in(browser)


def bearer_accepted(app, token: str) -> bool:
    from wirlearn.api.auth import authenticate_api_request
    from wirlearn.api.problems import ApiProblem

    with app.test_request_context("/api/v1/x", method="POST", headers={"Authorization": f"Bearer {token}"}):
        try:
            authenticate_api_request()
        except ApiProblem as problem:
            assert problem.code == 401
            return False
    return True


def test_api_tokens_end_with_the_sessions(app, client, login, coordinator):
    token = client.post("/api/v1/token", json={"email": coordinator.email, "password": coordinator.password}).json["access_token"]
    assert bearer_accepted(app, token)
    browser = app.test_client()
    login(browser, coordinator)
    browser.post("/abmelden")
    assert not bearer_accepted(app, token)


def test_production_cookie_flags(monkeypatch, database_url, factory):
    from config import ProductionConfig
    from wirlearn import create_app
    from wirlearn.extensions import db

    monkeypatch.setenv("BASE_URL", "https://zertifikate.example")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "WIR-Qualifizierung <noreply@zertifikate.example>")
    app = create_app(
        ProductionConfig,
        SECRET_KEY="y" * 40,
        SQLALCHEMY_DATABASE_URI=database_url,
        REQUIRE_2FA_FOR_ADMINS=False,
        BASE_URL="https://zertifikate.example",
    )
    user = factory.user("coordinator")
    client = app.test_client()
    response = client.post(
        "/anmelden", data={"email": user.email, "password": user.password}, base_url="https://zertifikate.example"
    )
    # CSRF is on in production: the form needs its token first.
    page = client.get("/anmelden", base_url="https://zertifikate.example")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-wirlearn=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie, flag
    assert "Domain=" not in cookie
    assert response.status_code == 400  # no CSRF token: refused, not signed in
    with app.app_context():
        db.engine.dispose()
