"""Two-factor sign-in (TOTP) for staff: enrolment with a QR code, second step, recovery codes,
replay refused, required for admins where configured, no way around it through the API."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import do_login
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import RecoveryCode, User
from wirlearn.extensions import db


def secret_of(app, user) -> str | None:
    with app.app_context():
        return db.session.get(User, user.id).totp_secret


def code_for(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(app, client, user) -> tuple[str, list[str]]:
    """Sign ``user`` in, set up two-factor sign-in through the pages; the secret and recovery codes."""
    assert "Einrichtung beginnen" in client.get("/konto/zwei-faktor").get_data(as_text=True)
    assert client.post("/konto/zwei-faktor/einrichten").status_code == 302
    page = client.get("/konto/zwei-faktor")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in text
    secret = secret_of(app, user)
    assert secret.replace(" ", "")[:4] in text.replace(" ", "")
    done = client.post("/konto/zwei-faktor", data={"code": code_for(secret)})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    codes = re.findall(r"<code>([a-z0-9-]{19})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def wait_for_next_step():
    """TOTP codes are accepted once per 30 s step; tests that need a second code use the next step."""
    return 1


@pytest.fixture
def enrolled(app, login, trainer):
    browser = app.test_client()
    login(browser, trainer)
    secret, codes = enrol(app, browser, trainer)
    browser.post("/abmelden")
    return secret, codes


def test_enrolment_shows_qr_and_stores_hashed_recovery_codes(app, client, login, trainer):
    login(client, trainer)
    secret, codes = enrol(app, client, trainer)
    with app.app_context():
        user = db.session.get(User, trainer.id)
        assert user.totp_enabled
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == trainer.id)).all()
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert len(stored) == 10
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert "auth.2fa_enabled" in actions
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
    assert all(secret not in str(event.after) and secret not in str(event.before) for event in events)


def test_wrong_enrolment_code_switches_nothing_on(app, client, login, trainer):
    login(client, trainer)
    client.post("/konto/zwei-faktor/einrichten")
    response = client.post("/konto/zwei-faktor", data={"code": "000000"})
    assert "Der Code passt nicht" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(User, trainer.id).totp_enabled


def test_sign_in_asks_for_the_second_factor(app, client, trainer, enrolled):
    secret, _codes = enrolled
    first = do_login(client, trainer)
    assert first.headers["Location"] == "/anmelden/bestaetigen"
    # Password alone is not a session.
    assert client.get("/start").status_code == 302
    wrong = client.post("/anmelden/bestaetigen", data={"code": "123456"})
    assert "nicht richtig" in wrong.get_data(as_text=True)
    ok = client.post("/anmelden/bestaetigen", data={"code": code_for(secret, wait_for_next_step())})
    assert ok.status_code == 302
    assert client.get("/start").status_code == 200
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events][-2:] == ["auth.2fa_failed", "auth.login"]
    assert events[-1].after == {"second_factor": "totp"}


def test_a_code_is_accepted_only_once(app, trainer, enrolled):
    secret, _codes = enrolled
    code = code_for(secret, 1)
    first = app.test_client()
    do_login(first, trainer)
    assert first.post("/anmelden/bestaetigen", data={"code": code}).status_code == 302
    second = app.test_client()
    do_login(second, trainer)
    replay = second.post("/anmelden/bestaetigen", data={"code": code})
    assert replay.status_code == 200
    assert "schon verwendet" in replay.get_data(as_text=True)


def test_recovery_code_works_once(app, trainer, enrolled):
    _secret, codes = enrolled
    browser = app.test_client()
    do_login(browser, trainer)
    ok = browser.post("/anmelden/bestaetigen", data={"code": codes[0].upper().replace("-", " ")})
    assert ok.status_code == 302
    assert "noch übrig" in browser.get("/start").get_data(as_text=True)
    browser.post("/abmelden")
    do_login(browser, trainer)
    again = browser.post("/anmelden/bestaetigen", data={"code": codes[0]})
    assert again.status_code == 200
    with app.app_context():
        used = select(RecoveryCode.id).where(RecoveryCode.user_id == trainer.id, RecoveryCode.used_at.is_not(None))
        assert len(db.session.scalars(used).all()) == 1  # the one typed, once


def test_pending_second_step_expires(app, client, trainer, enrolled, monkeypatch):
    secret, _codes = enrolled
    do_login(client, trainer)
    with client.session_transaction() as session:
        session["2fa_pending"]["at"] -= 301
        session.modified = True
    response = client.post("/anmelden/bestaetigen", data={"code": code_for(secret, 1)})
    assert response.headers["Location"] == "/anmelden"
    assert client.get("/start").status_code == 302


def test_second_step_without_password_step_is_refused(client):
    response = client.post("/anmelden/bestaetigen", data={"code": "123456"})
    assert response.headers["Location"] == "/anmelden"


def test_admin_must_set_up_second_factor_when_required(app, admin):
    admin_ref = admin
    app.config["REQUIRE_2FA_FOR_ADMINS"] = True
    browser = app.test_client()
    response = do_login(browser, admin_ref)
    assert response.headers["Location"] == "/konto/zwei-faktor"
    # Every other page leads back to the set-up until it is done.
    blocked = browser.get("/verwaltung/reihen")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/konto/zwei-faktor"
    token = app.test_client().post("/api/v1/token", json={"email": admin_ref.email, "password": admin_ref.password})
    assert token.status_code == 403
    enrol(app, browser, admin_ref)
    assert browser.get("/verwaltung/reihen").status_code == 200
    # Required: it cannot be switched off.
    off = browser.post("/konto/zwei-faktor/abschalten", data={"off-password": admin_ref.password, "off-code": "000000"})
    assert off.status_code == 302
    with app.app_context():
        assert db.session.get(User, admin_ref.id).totp_enabled


def test_production_requires_two_factor_for_admins_and_trainers_by_default(monkeypatch):
    monkeypatch.delenv("REQUIRE_2FA_FOR_ADMINS", raising=False)
    monkeypatch.delenv("REQUIRE_2FA_FOR_TRAINERS", raising=False)
    import importlib

    import config

    reloaded = importlib.reload(config)
    try:
        assert reloaded.ProductionConfig.REQUIRE_2FA_FOR_ADMINS is True
        assert reloaded.ProductionConfig.REQUIRE_2FA_FOR_TRAINERS is True
        assert reloaded.DevelopmentConfig.REQUIRE_2FA_FOR_ADMINS is False
        assert reloaded.DevelopmentConfig.REQUIRE_2FA_FOR_TRAINERS is False
        # An operator can still switch it off for trainers.
        monkeypatch.setenv("REQUIRE_2FA_FOR_TRAINERS", "false")
        assert importlib.reload(config).ProductionConfig.REQUIRE_2FA_FOR_TRAINERS is False
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_trainer_in_production_cannot_see_participants_with_a_password_alone(monkeypatch, database_url, programme, trainer):
    """A trainer sees participants' notes and results: production asks for the second factor first."""
    import importlib

    import config
    from wirlearn import create_app

    monkeypatch.delenv("REQUIRE_2FA_FOR_TRAINERS", raising=False)
    monkeypatch.setenv("BASE_URL", "https://zertifikate.example")
    reloaded = importlib.reload(config)
    try:
        app = create_app(
            reloaded.ProductionConfig,
            SECRET_KEY="z" * 40,
            SQLALCHEMY_DATABASE_URI=database_url,
            WTF_CSRF_ENABLED=False,
            MAIL_DEFAULT_SENDER="WIR <noreply@zertifikate.example>",
        )
    finally:
        monkeypatch.undo()
        importlib.reload(config)
    browser = app.test_client()
    here = "https://zertifikate.example"
    signed_in = browser.post("/anmelden", data={"email": trainer.email, "password": trainer.password}, base_url=here)
    assert signed_in.headers["Location"] == "/konto/zwei-faktor"
    series_page = browser.get(f"/module/{programme['main'].module_ids[0]}/bewertungen", base_url=here)
    assert series_page.status_code == 302 and series_page.headers["Location"] == "/konto/zwei-faktor"
    token = browser.post("/api/v1/token", json={"email": trainer.email, "password": trainer.password}, base_url=here)
    assert token.status_code == 403
    with app.app_context():
        db.engine.dispose()


def test_api_token_needs_the_code_too(app, trainer, enrolled):
    secret, codes = enrolled
    client = app.test_client()
    without = client.post("/api/v1/token", json={"email": trainer.email, "password": trainer.password})
    assert without.status_code == 401
    assert without.mimetype == "application/problem+json"
    assert "otp" in without.json["detail"]
    with_code = client.post(
        "/api/v1/token", json={"email": trainer.email, "password": trainer.password, "otp": code_for(secret, 1)}
    )
    assert with_code.status_code == 200, with_code.json
    with_recovery = client.post("/api/v1/token", json={"email": trainer.email, "password": trainer.password, "otp": codes[1]})
    assert with_recovery.status_code == 200


def test_new_recovery_codes_replace_the_old_ones(app, client, login, trainer):
    login(client, trainer)
    secret, old_codes = enrol(app, client, trainer)
    refused = client.post("/konto/zwei-faktor/neue-codes", data={"codes-code": "000000"})
    assert refused.status_code == 302
    page = client.post("/konto/zwei-faktor/neue-codes", data={"codes-code": code_for(secret, 1)})
    new_codes = re.findall(r"<code>([a-z0-9-]{19})</code>", page.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/abmelden")
    do_login(client, trainer)
    assert client.post("/anmelden/bestaetigen", data={"code": old_codes[2]}).status_code == 200
    assert client.post("/anmelden/bestaetigen", data={"code": new_codes[2]}).status_code == 302


def test_disable_needs_password_and_code(app, client, login, trainer):
    login(client, trainer)
    secret, _codes = enrol(app, client, trainer)
    client.post("/konto/zwei-faktor/abschalten", data={"off-password": "falsch-falsch-falsch", "off-code": code_for(secret, 1)})
    with app.app_context():
        assert db.session.get(User, trainer.id).totp_enabled
    client.post("/konto/zwei-faktor/abschalten", data={"off-password": trainer.password, "off-code": code_for(secret, 1)})
    with app.app_context():
        user = db.session.get(User, trainer.id)
        assert not user.totp_enabled and user.totp_secret is None
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == trainer.id)).all() == []


def test_admin_resets_a_lost_second_factor(app, login, admin, trainer, enrolled):
    staff = app.test_client()
    login(staff, admin)
    assert "Zweiten Faktor zurücksetzen" in staff.get(f"/verwaltung/nutzer/{trainer.id}").get_data(as_text=True)
    staff.post(f"/verwaltung/nutzer/{trainer.id}/zwei-faktor-zuruecksetzen")
    with app.app_context():
        assert not db.session.get(User, trainer.id).totp_enabled
        assert "auth.2fa_disabled" in db.session.scalars(select(AuditEvent.action)).all()
    browser = app.test_client()
    assert do_login(browser, trainer).headers["Location"] == "/"


def test_coordinators_are_not_offered_two_factor(client, login, coordinator):
    login(client, coordinator)
    assert client.get("/konto/zwei-faktor").status_code == 403


# --- the secret at rest ------------------------------------------------------------------------


def stored_secret(app, user_id: int) -> str:
    from sqlalchemy import text

    with app.app_context():
        return db.session.execute(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}).scalar()


def test_totp_secret_is_encrypted_in_the_database(app, trainer, enrolled):
    secret, _codes = enrolled
    stored = stored_secret(app, trainer.id)
    assert stored.startswith("fernet:") and secret not in stored
    with app.app_context():
        assert db.session.get(User, trainer.id).totp_secret == secret  # the app reads it in clear


def test_encryption_key_rotation(app, runner, trainer, enrolled):
    from cryptography.fernet import Fernet

    secret, _codes = enrolled
    new_key = Fernet.generate_key()
    app.config["TOTP_ENCRYPTION_KEYS"] = new_key.decode()
    result = runner.invoke(args=["totp", "rotate-key"])
    assert result.exit_code == 0, result.output
    token = stored_secret(app, trainer.id).removeprefix("fernet:")
    assert Fernet(new_key).decrypt(token.encode()).decode() == secret  # the new key alone reads it
    # Signing in still works with the new key only (and a changed SECRET_KEY, which no longer matters).
    app.config["SECRET_KEY"] = "another-secret-key-after-rotation-0123456789"
    browser = app.test_client()
    do_login(browser, trainer)
    assert browser.post("/anmelden/bestaetigen", data={"code": code_for(secret, 1)}).status_code == 302
    # Without the key in use, nothing can be read: the CLI says so and changes nothing.
    app.config["TOTP_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    refused = runner.invoke(args=["totp", "rotate-key"])
    assert refused.exit_code != 0 and "nichts geändert" in refused.output


def test_migration_encrypts_existing_secrets(databases):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from wirlearn import create_app

    url = databases.create("totp-migration")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    try:
        with app.app_context():
            upgrade(revision="0003_data_version")
            db.session.execute(
                text(
                    "INSERT INTO users (email, display_name, active, subject_uuid, session_nonce, totp_secret, totp_enabled, "
                    "created_at) VALUES ('t@example.org', 'T', true, 'u-1', 'n', 'JBSWY3DPEHPK3PXP', true, '2026-01-01')"
                )
            )
            db.session.commit()
            upgrade()
            stored = db.session.execute(text("SELECT totp_secret FROM users")).scalar()
            assert stored.startswith("fernet:")
            assert db.session.scalar(select(User.totp_secret)) == "JBSWY3DPEHPK3PXP"
            db.session.remove()
            downgrade(revision="0003_data_version")
            assert db.session.execute(text("SELECT totp_secret FROM users")).scalar() == "JBSWY3DPEHPK3PXP"
            db.session.remove()
            db.engine.dispose()
    finally:
        databases.drop(url)
