"""The rules of signing in, sessions and password links (wirlearn/auth/services.py) that a user
relies on, each at its edge: which address signs in, what ends a session and when, how long the
second step and a password link last, and what the audit log keeps of it."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import session
from sqlalchemy import select

from tests.conftest import do_login
from wirlearn.audit.models import AuditEvent
from wirlearn.auth import services
from wirlearn.auth.limits import PENDING_KEY
from wirlearn.auth.models import User
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

COOKIE = "wirlearn_session"


@contextmanager
def request(app, path: str = "/"):
    """A request of its own (session, audit) for calling the services directly."""
    with app.test_request_context(path):
        yield
        db.session.rollback()


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def signed_in(client) -> bool:
    return client.get("/start").status_code == 200


# --- the address -------------------------------------------------------------------------------


def test_sign_in_takes_the_address_in_any_case_and_with_surrounding_spaces(client, login, coordinator):
    for typed in ("  Ayse@Example.ORG  ", "AYSE@EXAMPLE.ORG"):
        response = client.post("/anmelden", data={"email": typed, "password": coordinator.password})
        assert response.status_code == 302, typed
        assert signed_in(client), typed
        client.post("/abmelden")


def test_an_address_with_full_width_letters_is_the_same_address(ctx, coordinator):
    assert services.find_user_id("ａｙｓｅ@ｅｘａｍｐｌｅ．ｏｒｇ") == coordinator.id
    assert services.find_user_by_email(" AYSE@example.org\t").id == coordinator.id
    assert services.find_user_id("") is None


# --- the session cookie ------------------------------------------------------------------------


def test_a_session_belongs_to_one_active_user_and_one_nonce(app, factory, coordinator):
    inactive = factory.user("coordinator", active=False)
    with request(app):
        user = db.session.get(User, coordinator.id)
        nonce = user.session_nonce
        assert services.load_user_from_cookie(f"{user.id}:{nonce}") is user
        for forged in (
            f"{user.id}",  # no nonce
            f"{user.id}:",  # empty nonce
            f"{user.id}:{nonce}x",  # another nonce
            f"x{user.id}:{nonce}",  # not a number
            f"-{user.id}:{nonce}",
            f"{user.id + 1000}:{nonce}",  # nobody
            "",
            None,
        ):
            assert services.load_user_from_cookie(forged) is None, forged
        other = db.session.get(User, inactive.id)
        assert services.load_user_from_cookie(f"{other.id}:{other.session_nonce}") is None


# --- signing in ----------------------------------------------------------------------------------


def test_failed_sign_ins_are_audited_with_the_address_and_why(app, client, factory, coordinator):
    inactive = factory.user("coordinator", email="alt@example.org", active=False)
    do_login(client, coordinator, "ganz-falsches-passwort")
    client.post("/anmelden", data={"email": " Niemand@Example.org ", "password": "egal-egal-egal"})
    do_login(client, inactive)  # right password, account switched off
    do_login(client, inactive, "ganz-falsches-passwort")
    failed = events(app, "auth.login_failed")
    assert [(e.entity_type, e.entity_id, e.actor_id, e.after) for e in failed] == [
        ("user", str(coordinator.id), coordinator.id, {"email": "ayse@example.org", "reason": "credentials"}),
        ("user", None, None, {"email": "niemand@example.org", "reason": "credentials"}),
        ("user", str(inactive.id), inactive.id, {"email": "alt@example.org", "reason": "inactive"}),
        ("user", str(inactive.id), inactive.id, {"email": "alt@example.org", "reason": "credentials"}),
    ]


def test_the_audited_address_of_a_failed_sign_in_is_cut_at_254_characters(app):
    long_address = "a" * 300 + "@example.org"
    with request(app):
        assert services.authenticate(long_address, "egal-egal-egal") is None
        assert services.authenticate(None, None) is None
        db.session.commit()
    failed = events(app, "auth.login_failed")
    assert failed[0].after["email"] == "a" * 254
    assert failed[1].after == {"email": "", "reason": "credentials"}


def test_a_current_password_hash_is_left_as_it_is_at_sign_in(app, client, coordinator):
    with app.app_context():
        before = db.session.get(User, coordinator.id).password_hash
    assert do_login(client, coordinator).status_code == 302
    with app.app_context():
        assert db.session.get(User, coordinator.id).password_hash == before


def test_sign_in_keeps_the_chosen_language_and_stamps_the_session(app, client, coordinator):
    with client.session_transaction() as cookie:
        cookie["lang"] = "en"
    started = int(time.time())
    assert do_login(client, coordinator).status_code == 302
    with client.session_transaction() as cookie:
        assert cookie["lang"] == "en"
        assert started <= cookie["login_at"] <= time.time()
        assert cookie["seen_at"] == cookie["login_at"]
    assert "Sign out" in client.get("/start").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, coordinator.id)
        assert abs((utcnow() - user.last_login_at).total_seconds()) < 60
    [login] = events(app, "auth.login")
    assert (login.entity_type, login.entity_id, login.actor_id, login.after) == (
        "user",
        str(coordinator.id),
        coordinator.id,
        None,
    )


def test_a_sign_in_with_the_second_factor_notes_which_one(app, trainer):
    with request(app):
        services.start_session(db.session.get(User, trainer.id), second_factor="recovery")
        db.session.commit()
    [login] = events(app, "auth.login")
    assert (login.actor_id, login.after) == (trainer.id, {"second_factor": "recovery"})


def test_a_browser_that_signed_in_is_known_to_the_account(app, client, coordinator):
    """The device cookie: the sign-in limits spare an account's own browsers."""
    from wirlearn.auth.limits import known_accounts

    do_login(client, coordinator)
    device = client.get_cookie("wirlearn_device").value
    with app.test_request_context("/", headers={"Cookie": f"wirlearn_device={device}"}):
        assert known_accounts() == [coordinator.id]


def test_sign_in_without_a_chosen_language_starts_without_one(client, coordinator):
    do_login(client, coordinator)
    with client.session_transaction() as cookie:
        assert "lang" not in cookie


def test_sign_out_keeps_the_chosen_language_and_is_audited(app, client, login, coordinator):
    login(client, coordinator)
    with client.session_transaction() as cookie:
        cookie["lang"] = "en"
    client.post("/abmelden")
    with client.session_transaction() as cookie:
        assert cookie["lang"] == "en"
        assert "_user_id" not in cookie and "login_at" not in cookie
    assert "You have signed out." in client.get("/anmelden").get_data(as_text=True)
    [logout] = events(app, "auth.logout")
    assert (logout.entity_type, logout.entity_id, logout.actor_id) == ("user", str(coordinator.id), coordinator.id)


def test_signing_out_of_one_browser_only_keeps_the_other_sessions(app, login, coordinator):
    """end_session(everywhere=False), as the LTI hand-off's "sign in again" uses it."""
    here, there = app.test_client(), app.test_client()
    login(here, coordinator)
    login(there, coordinator)
    with request(app):
        user = db.session.get(User, coordinator.id)
        nonce = user.session_nonce
        services.end_session(user, everywhere=False)
        db.session.commit()
        assert db.session.get(User, coordinator.id).session_nonce == nonce
    assert signed_in(there)
    assert events(app, "auth.logout") == []


# --- the second step -----------------------------------------------------------------------------


def test_the_second_step_waits_five_minutes_for_the_code(app, trainer):
    with request(app):
        user = db.session.get(User, trainer.id)
        session["lang"] = "en"
        session["other"] = "weg"
        services.begin_second_step(user, "/verwaltung/regionen")
        assert session["lang"] == "en" and "other" not in session
        started = session[PENDING_KEY]["at"]
        assert abs(started - time.time()) < 5
        assert services.pending_next_url() == "/verwaltung/regionen"
        assert services.pending_user(now=started + 300) is user
        assert services.pending_user(now=started + 301) is None
        assert PENDING_KEY not in session  # forgotten, not only refused
        assert services.pending_user(now=started) is None
        assert services.pending_next_url() is None


def test_the_second_step_ends_when_the_password_changes_or_the_account_is_switched_off(app, trainer):
    with request(app):
        user = db.session.get(User, trainer.id)
        services.begin_second_step(user, None)
        assert services.pending_next_url() is None
        assert services.pending_user() is user
        user.end_all_sessions()  # a password set meanwhile
        assert services.pending_user() is None
        services.begin_second_step(user, None)
        user.active = False
        assert services.pending_user() is None


def test_only_a_well_formed_second_step_counts(app, trainer):
    with request(app):
        user = db.session.get(User, trainer.id)
        assert services.pending_user() is None
        session[PENDING_KEY] = "kaputt"
        assert services.pending_user() is None
        assert services.pending_next_url() is None
        now = int(time.time())
        session[PENDING_KEY] = {"uid": str(user.id), "nonce": user.session_nonce, "at": now}
        assert services.pending_user() is None
        session[PENDING_KEY] = {"uid": user.id, "nonce": user.session_nonce}  # no time: long expired
        assert services.pending_user() is None
        session[PENDING_KEY] = {"uid": user.id, "at": now}
        assert services.pending_user() is None
        session[PENDING_KEY] = {"uid": user.id, "nonce": user.session_nonce, "at": now}
        assert services.pending_user() is user


# --- session lifetime ----------------------------------------------------------------------------


def start(app, user_id: int, *, login_at: int, seen_at: int) -> None:
    session["_user_id"] = str(user_id)
    session["login_at"] = login_at
    session["seen_at"] = seen_at


def test_a_session_lives_exactly_its_idle_time_and_its_lifetime(app, coordinator):
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    now = 2_000_000_000
    with request(app):
        start(app, coordinator.id, login_at=now - lifetime, seen_at=now - idle)
        assert services.check_session_age(now) == services.SessionState(expired=False)
        start(app, coordinator.id, login_at=now - lifetime - 1, seen_at=now)
        assert services.check_session_age(now).expired
        start(app, coordinator.id, login_at=now, seen_at=now - idle - 1)
        assert services.check_session_age(now).expired


def test_the_last_activity_is_noted_after_half_a_minute(app, coordinator):
    now = 2_000_000_000
    with request(app):
        start(app, coordinator.id, login_at=now - 100, seen_at=now - 30)
        services.check_session_age(now)
        assert session["seen_at"] == now - 30
        services.check_session_age(now + 1.0)
        assert session["seen_at"] == now + 1
        assert isinstance(session["seen_at"], int)


@pytest.mark.parametrize("missing", ["login_at", "seen_at"])
def test_a_session_cookie_without_its_times_is_sent_to_sign_in(client, login, coordinator, missing):
    login(client, coordinator)
    with client.session_transaction() as cookie:
        del cookie[missing]
    response = client.get("/start")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")


def test_a_visitor_who_is_not_signed_in_has_no_session_to_expire(app):
    with request(app):
        assert services.check_session_age() == services.SessionState(expired=False)
        assert "seen_at" not in session


# --- password links ------------------------------------------------------------------------------


def token_for(app, user_id: int, purpose: str = "invitation") -> str:
    with app.app_context():
        return services.make_password_token(db.session.get(User, user_id), purpose)


def signed_ago(app, monkeypatch, user_id: int, purpose: str, seconds: int) -> str:
    """A link as if it had been sent ``seconds`` ago."""
    from itsdangerous.timed import TimestampSigner

    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - seconds)
        return token_for(app, user_id, purpose)


def opens(client, token: str) -> int:
    page = client.get(f"/passwort-setzen/{token}")
    if page.status_code == 410:
        assert "Dieser Link ist abgelaufen." in page.get_data(as_text=True)
    return page.status_code


def test_a_reset_link_lasts_an_hour(app, client, monkeypatch, coordinator):
    hour = app.config["PASSWORD_RESET_MINUTES"] * 60
    assert hour == 3600
    assert opens(client, signed_ago(app, monkeypatch, coordinator.id, "reset", hour - 10)) == 200
    assert opens(client, signed_ago(app, monkeypatch, coordinator.id, "reset", hour + 10)) == 410


def test_an_invitation_lasts_three_days(app, client, monkeypatch, coordinator):
    days = app.config["PASSWORD_LINK_HOURS"] * 3600
    assert days == 3 * 24 * 3600
    assert opens(client, signed_ago(app, monkeypatch, coordinator.id, "invitation", 2 * 3600)) == 200
    assert opens(client, signed_ago(app, monkeypatch, coordinator.id, "invitation", days - 10)) == 200
    assert opens(client, signed_ago(app, monkeypatch, coordinator.id, "invitation", days + 10)) == 410


def test_a_link_works_to_the_second_of_its_lifetime(app, client, monkeypatch, coordinator):
    from itsdangerous.timed import TimestampSigner

    sent = int(time.time()) - 100
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: sent)
        token = token_for(app, coordinator.id, "reset")
    sent_at = datetime.fromtimestamp(sent, UTC).replace(tzinfo=None)
    monkeypatch.setattr(services, "utcnow", lambda: sent_at + timedelta(hours=1))
    assert opens(client, token) == 200
    monkeypatch.setattr(services, "utcnow", lambda: sent_at + timedelta(hours=1, seconds=1))
    assert opens(client, token) == 410


def test_only_the_two_kinds_of_password_link_exist(ctx, coordinator):
    user = db.session.get(User, coordinator.id)
    with pytest.raises(ValueError, match="'welcome'"):
        services.make_password_token(user, "welcome")


def signed(app, payload) -> str:
    with app.app_context():
        return services._serializer().dumps(payload)


def test_a_link_without_a_kind_is_an_invitation(app, client, monkeypatch, coordinator):
    with app.app_context():
        state = services._password_state(db.session.get(User, coordinator.id))
    sent = datetime.now(UTC).replace(tzinfo=None)
    token = signed(app, {"uid": coordinator.id, "state": state})
    monkeypatch.setattr(services, "utcnow", lambda: sent + timedelta(hours=2))  # past a reset link's hour
    assert opens(client, token) == 200


@pytest.mark.parametrize(
    "payload",
    [
        ["uid", 1],
        "nur text",
        {"uid": "ID", "state": "never", "p": "invitation"},
        {"uid": "ID", "state": "never", "p": "welcome"},
        {"uid": "TEXT", "state": "never", "p": "invitation"},
        {"state": "never", "p": "invitation"},
    ],
)
def test_a_signed_link_that_names_no_active_account_and_kind_is_invalid(app, client, factory, payload):
    user = factory.user("coordinator", password=None, active=False)
    active = factory.user("coordinator", password=None)
    if isinstance(payload, dict):
        payload = dict(payload)
        if payload.get("uid") == "ID":
            payload["uid"] = user.id
            if payload["p"] == "welcome":
                payload["uid"] = active.id
        elif payload.get("uid") == "TEXT":
            payload["uid"] = str(active.id)
    page = client.get(f"/passwort-setzen/{signed(app, payload)}")
    assert page.status_code == 404
    assert "Dieser Link ist ungültig." in page.get_data(as_text=True)


def test_a_link_sent_before_an_update_still_works(app, client, factory):
    """Links in people's inboxes were signed with the key and the salt "wirlearn.set-password";
    a release that changed either would break every invitation and reset link already sent."""
    from itsdangerous import URLSafeTimedSerializer

    user = factory.user("coordinator", password=None)
    sent = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wirlearn.set-password").dumps(
        {"uid": user.id, "state": "never", "p": "invitation"}
    )
    assert client.get(f"/passwort-setzen/{sent}").status_code == 200


@pytest.mark.parametrize("salt", [{"salt": "wirlearn.sign-in-device"}, {}, {"salt": None}])
def test_a_value_signed_with_the_app_key_for_something_else_is_no_password_link(app, client, coordinator, salt):
    """The device cookie, or anything signed with the key alone (itsdangerous' default salts)."""
    from itsdangerous import URLSafeTimedSerializer

    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], **salt)
    other = signer.dumps({"uid": coordinator.id, "state": "never", "p": "invitation"})
    assert client.get(f"/passwort-setzen/{other}").status_code == 404


def test_a_link_for_someone_who_never_set_a_password_works_until_one_is_set(app, client, factory):
    user = factory.user("coordinator", password=None)
    token = signed(app, {"uid": user.id, "state": "never", "p": "invitation"})
    assert client.get(f"/passwort-setzen/{token}").status_code == 200
    form = {"password": "ein langes passwort", "confirm": "ein langes passwort"}
    assert client.post(f"/passwort-setzen/{token}", data=form).status_code == 302
    assert client.get(f"/passwort-setzen/{token}").status_code == 410
    [event] = events(app, "auth.password_set")
    assert (event.entity_type, event.entity_id, event.subject_user_id, event.after) == (
        "user",
        str(user.id),
        user.id,
        {"reason": "link"},
    )


def test_a_reset_is_asked_for_the_address_as_it_is_stored(app, client, coordinator):
    from wirlearn import signals

    asked = []

    def remember(email, **_extra):
        asked.append(email)

    signals.password_reset_requested.connect(remember)
    try:
        client.post("/passwort-vergessen", data={"email": "  AYSE@Example.org "})
    finally:
        signals.password_reset_requested.disconnect(remember)
    assert asked == ["ayse@example.org"]


# --- admins and other sessions -------------------------------------------------------------------


def test_only_active_admins_count_for_the_last_admin_rule(ctx, factory):
    assert services.count_admins() == 0
    factory.user("admin")
    factory.user("admin")
    factory.user("admin", "trainer")
    factory.user("admin", active=False)
    factory.user("trainer")
    assert services.count_admins() == 3


def test_ending_the_other_sessions_keeps_this_one(app, login, coordinator):
    here, there = app.test_client(), app.test_client()
    login(here, coordinator)
    login(there, coordinator)
    with app.test_request_context("/"):
        user = db.session.get(User, coordinator.id)
        services.end_other_sessions(user)
        db.session.commit()
        assert session["_user_id"] == f"{user.id}:{user.session_nonce}"
        assert session.get("_remember") != "set"  # no lasting cookie
    assert not signed_in(there)
