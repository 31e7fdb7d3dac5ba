"""LTI 1.3 with a fake platform (tests/lti_platform.py): registration, login initiation,
launches and every refused token, account and course links, deep linking, Names and Roles into
enrolments, grades to the platform's gradebook with retries, dynamic registration."""

from __future__ import annotations

from urllib.parse import urlsplit

import jwt
import pytest
from sqlalchemy import func, select

from tests.lti_platform import CLIENT_ID, DEPLOYMENT_ID, DL, INSTRUCTOR, LEARNER, LTI, serve
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.lti.models import LtiContext, LtiLaunch, LtiPlatform, LtiScore, LtiSync, LtiUserLink
from wirlearn.programme.models import Enrollment


@pytest.fixture
def app_settings():
    return {"LTI_KEY_BITS": 2048}


@pytest.fixture
def fake_platform():
    yield from serve()


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def refusal_reasons(app) -> list[str]:
    with app.app_context():
        return [
            event.after["reason"]
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "lti.launch_refused").order_by(AuditEvent.id)
            )
        ]


def link_user(app, platform_id: int, sub: str, user_id: int) -> None:
    with app.app_context():
        db.session.add(LtiUserLink(platform_id=platform_id, sub=sub, user_id=user_id))
        db.session.commit()


def link_course(app, platform_id: int, series_id: int, fake) -> int:
    with app.app_context():
        context = LtiContext(
            platform_id=platform_id,
            context_id="course-42",
            title="WIR-Qualifizierung 2026",
            series_id=series_id,
            memberships_url=fake.base + "/memberships",
            lineitems_url=fake.base + "/lineitems",
            ags_scopes=[],
        )
        db.session.add(context)
        db.session.commit()
        return context.id


def follow(client, response, limit: int = 6):
    """Follow redirects inside wirlearn; returns the last response."""
    for _ in range(limit):
        if response.status_code not in (301, 302, 303):
            return response
        location = response.headers["Location"]
        path = urlsplit(location)
        response = client.get(path.path + (f"?{path.query}" if path.query else ""))
    return response


# --- the tool's keys --------------------------------------------------------------------------


def test_tool_jwks_is_public_and_not_the_certificate_keys(client):
    response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["kid"].startswith("lti-")
    assert "d" not in keys[0]  # public only
    assert client.get("/lti/jwks.json").get_json() == response.get_json()  # made once, then kept


# --- login initiation -------------------------------------------------------------------------


def test_login_initiation_sends_the_browser_to_the_platform_with_state_and_nonce(app, client, fake_platform):
    fake_platform.register(app)
    first = fake_platform.auth_params(fake_platform.login(client))
    assert first["scope"] == "openid"
    assert first["response_type"] == "id_token" and first["response_mode"] == "form_post" and first["prompt"] == "none"
    assert first["client_id"] == CLIENT_ID
    assert first["redirect_uri"] == "http://wirlearn.test/lti/launch"
    assert first["login_hint"] == "hint-7" and first["lti_message_hint"] == "message-hint"
    assert len(first["state"]) >= 40 and len(first["nonce"]) >= 40
    second = fake_platform.auth_params(fake_platform.login(client, client_id=None))  # client_id may be left out
    assert second["state"] != first["state"] and second["nonce"] != first["nonce"]
    with app.app_context():
        stored = db.session.scalars(select(LtiLaunch)).all()
        assert len(stored) == 2
        assert first["state"] not in {launch.state_hash for launch in stored}  # only a hash is kept


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"iss": "https://unknown.example.org"}, "unknown_platform"),
        ({"login_hint": None}, "login_incomplete"),
        ({"target_link_uri": None}, "login_incomplete"),
        ({"lti_deployment_id": "deploy-other"}, "unknown_deployment"),
        ({"client_id": "someone-else"}, "unknown_platform"),
    ],
)
def test_login_initiation_refuses_what_it_does_not_know(app, client, fake_platform, params, reason):
    fake_platform.register(app)
    response = fake_platform.login(client, **params)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Start aus der Lernplattform nicht möglich" in page and "Es wurde nichts angelegt" in page
    assert count(app, LtiLaunch) == 0
    assert refusal_reasons(app) == [reason]


# --- launches ---------------------------------------------------------------------------------


def test_learner_with_an_account_links_it_once_and_then_lands_on_the_progress_page(
    app, client, fake_platform, coordinator, login
):
    platform_id = fake_platform.register(app)
    response, _state, _token = fake_platform.launch(client)
    assert response.status_code == 302 and "/lti/weiter/" in response.headers["Location"]
    page = follow(client, response)
    text = page.get_data(as_text=True)
    # The launch's e-mail is that of an existing account: never merged, and no second account.
    assert page.status_code == 200 and "Anmelden und verbinden" in text and "Neues Konto anlegen" not in text
    assert count(app, LtiUserLink) == 0
    handoff = urlsplit(response.headers["Location"]).path
    login(client, coordinator)
    confirm = client.get(handoff)
    assert "Dieses Konto verbinden" in confirm.get_data(as_text=True)
    landed = follow(client, client.post(handoff + "/verbinden"))
    assert landed.status_code == 200 and landed.request.path == "/mein-fortschritt"
    with app.app_context():
        link = db.session.scalars(select(LtiUserLink)).one()
        assert (link.platform_id, link.sub, link.user_id) == (platform_id, "moodle-user-7", coordinator.id)
    assert {"lti.launch", "lti.account_linked"} <= set(audit_actions(app))
    # From now on a launch signs the person in directly, in a fresh browser.
    fresh = app.test_client()
    again, _state, _token = fake_platform.launch(fresh)
    assert follow(fresh, again).request.path == "/mein-fortschritt"
    assert count(app, User, User.email == "ayse@example.org") == 1


def test_a_session_from_before_the_launch_must_sign_in_again_to_link(app, client, fake_platform, coordinator, login):
    """Someone else's hand-over link opened in a signed-in browser must not link that account."""
    fake_platform.register(app)
    login(client, coordinator)
    import time

    time.sleep(1.05)  # the launch starts a second after the sign-in (sign-in times count in seconds)
    attacker = app.test_client()
    response, _state, _token = fake_platform.launch(attacker, sub="attacker-sub")
    handoff = urlsplit(response.headers["Location"]).path
    page = client.get(handoff).get_data(as_text=True)
    assert "Erneut anmelden und verbinden" in page and "Dieses Konto verbinden" not in page
    refused = follow(client, client.post(handoff + "/verbinden"))
    assert "Bitte melden Sie sich zur Bestätigung erneut an." in refused.get_data(as_text=True)
    assert count(app, LtiUserLink) == 0
    again = client.post(handoff + "/neu-anmelden")
    assert again.headers["Location"].startswith("/anmelden?next=/lti/weiter/")
    assert client.get("/mein-fortschritt").status_code == 302  # signed out


def test_new_learner_makes_a_participant_account_in_their_region_linked_by_sub(app, client, fake_platform, factory):
    fake_platform.register(app)
    region_id = factory.region_id("Kassel")
    response, _state, _token = fake_platform.launch(client, email="neu@example.org", name="Nina Neu")
    page = follow(client, response)
    assert "Neues Konto anlegen" in page.get_data(as_text=True)
    handoff = urlsplit(response.headers["Location"]).path
    missing = client.post(handoff + "/neues-konto", data={"region_id": "0"})
    assert missing.status_code == 422 and "Bitte wählen Sie Ihre Gebietskörperschaft." in missing.get_data(as_text=True)
    assert client.post(handoff + "/neues-konto", data={"region_id": "999999"}).status_code == 422
    assert count(app, User) == 0
    landed = follow(client, client.post(handoff + "/neues-konto", data={"region_id": str(region_id)}))
    assert landed.request.path == "/mein-fortschritt"
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "neu@example.org")).one()
        assert user.display_name == "Nina Neu" and user.roles == {"coordinator"} and user.password_hash is None
        assert user.region_id == region_id
        assert db.session.scalars(select(LtiUserLink.user_id)).one() == user.id


def test_a_new_account_is_refused_for_an_address_an_account_uses(app, client, fake_platform, coordinator):
    fake_platform.register(app)
    response, _state, _token = fake_platform.launch(client)  # e-mail ayse@example.org exists
    handoff = urlsplit(response.headers["Location"]).path
    refused = client.post(handoff + "/neues-konto", data={"region_id": str(coordinator.region_id)})
    assert refused.status_code == 422
    assert "Für diesen Start kann kein neues Konto angelegt werden." in refused.get_data(as_text=True)
    assert count(app, User) == 1 and count(app, LtiUserLink) == 0


def test_instructor_links_the_course_to_a_series_then_lands_on_its_trainer_page(app, client, fake_platform, programme, trainer):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    response, _state, _token = fake_platform.launch(client, sub="moodle-trainer-1", role=INSTRUCTOR)
    picker = follow(client, response)
    assert picker.request.path.startswith("/lti/kurs/") and "Reihe für den Kurs wählen" in picker.get_data(as_text=True)
    series_id = programme["main"].id
    other_id = programme["other"].id
    refused = client.post(picker.request.path, data={"series_id": other_id})  # not in the choices: not the trainer's series
    assert refused.status_code == 200 and count(app, LtiContext, LtiContext.series_id.is_not(None)) == 0
    done = client.post(picker.request.path, data={"series_id": series_id})
    assert done.headers["Location"] == f"/training/reihen/{series_id}"
    with app.app_context():
        context = db.session.scalars(select(LtiContext)).one()
        assert context.series_id == series_id and context.memberships_url == fake_platform.base + "/memberships"
        assert context.lineitems_url == fake_platform.base + "/lineitems" and context.title == "WIR-Qualifizierung 2026"
    fresh = app.test_client()
    again, _state, _token = fake_platform.launch(fresh, sub="moodle-trainer-1", role=INSTRUCTOR)
    assert follow(fresh, again).request.path == f"/training/reihen/{series_id}"
    assert "lti.course_linked" in audit_actions(app)


def test_a_role_without_a_mapping_gets_the_least_access(app, client, fake_platform, coordinator):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    response, _state, _token = fake_platform.launch(
        client, role="http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    )
    page = follow(client, response)
    assert page.status_code == 403 and "Keine Inhalte für Ihre Rolle" in page.get_data(as_text=True)
    assert count(app, LtiContext) == 0
    assert client.get("/mein-fortschritt").status_code == 302  # not signed in


def test_admin_accounts_are_never_signed_in_through_a_platform(app, client, fake_platform, admin):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-admin", admin.id)
    response, _state, _token = fake_platform.launch(client, sub="moodle-admin", role=INSTRUCTOR)
    page = follow(client, response)
    assert page.status_code == 403 and "nur direkt bei wirlearn" in page.get_data(as_text=True)
    assert client.get("/verwaltung/lti").status_code == 302


def _other_key_same_kid(fake, nonce):
    return fake.sign(fake.claims(nonce), key_name="attacker-key", kid=fake.kid)


REFUSALS = [
    ("bad_signature", lambda fake, nonce: _other_key_same_kid(fake, nonce), "Die Signatur des Anmeldetokens ist ungültig."),
    ("unknown_key", lambda fake, nonce: fake.sign(fake.claims(nonce), key_name="attacker-key"), "unbekannten Schlüssel"),
    ("wrong_audience", lambda fake, nonce: fake.sign(fake.claims(nonce, aud="another-tool")), "nicht für wirlearn ausgestellt"),
    (
        "wrong_azp",
        lambda fake, nonce: fake.sign(fake.claims(nonce, aud=[CLIENT_ID, "another-tool"], azp="another-tool")),
        "andere Anwendung",
    ),
    (
        "wrong_issuer",
        lambda fake, nonce: fake.sign(fake.claims(nonce, iss="https://evil.example.org")),
        "nicht von dieser Lernplattform",
    ),
    (
        "expired",
        lambda fake, nonce: fake.sign(fake.claims(nonce, iat=1_700_000_000, exp=1_700_000_300)),
        "abgelaufen",
    ),
    ("nonce_mismatch", lambda fake, nonce: fake.sign(fake.claims("another-nonce")), "gehört nicht zu diesem Start"),
    (
        "unknown_deployment",
        lambda fake, nonce: fake.sign(fake.claims(nonce, **{LTI + "deployment_id": "deploy-unknown"})),
        "Deployment",
    ),
    ("missing_claim", lambda fake, nonce: fake.sign(fake.claims(nonce, sub=None)), "„sub“"),
    ("missing_claim", lambda fake, nonce: fake.sign(fake.claims(nonce, **{LTI + "roles": None})), "roles"),
    ("missing_claim", lambda fake, nonce: fake.sign(fake.claims(nonce, **{LTI + "resource_link": None})), "resource_link"),
    ("missing_claim", lambda fake, nonce: fake.sign(fake.claims(nonce, exp=None)), "„exp“"),
    ("wrong_version", lambda fake, nonce: fake.sign(fake.claims(nonce, **{LTI + "version": "1.1"})), "LTI 1.3.0"),
    (
        "unknown_message_type",
        lambda fake, nonce: fake.sign(fake.claims(nonce, **{LTI + "message_type": "LtiSubmissionReviewRequest"})),
        "Art von Start",
    ),
    ("malformed", lambda fake, nonce: "not.a.token", "beschädigt"),
    (
        "bad_algorithm",
        lambda fake, nonce: jwt.encode(fake.claims(nonce), "a-shared-secret-of-32-bytes-length!", algorithm="HS256"),
        "RS256",
    ),
]


@pytest.mark.parametrize(("reason", "make_token", "message"), REFUSALS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSALS)])
def test_every_bad_launch_is_refused_in_german_and_creates_nothing(
    app, client, fake_platform, coordinator, reason, make_token, message
):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    params = fake_platform.auth_params(fake_platform.login(client))
    response = client.post("/lti/launch", data={"id_token": make_token(fake_platform, params["nonce"]), "state": params["state"]})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Start aus der Lernplattform nicht möglich" in text and message in text
    assert refusal_reasons(app) == [reason]
    assert count(app, LtiContext) == 0 and count(app, LtiUserLink) == 1 and count(app, User) == 1
    with app.app_context():
        launch = db.session.scalars(select(LtiLaunch)).one()
        assert launch.used_at is not None and launch.handoff_hash is None  # the state is spent
    assert client.get("/mein-fortschritt").status_code == 302  # nobody signed in


def test_a_replayed_launch_is_refused(app, client, fake_platform, coordinator):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    first, state, token = fake_platform.launch(client)
    assert first.status_code == 302
    replay = app.test_client().post("/lti/launch", data={"id_token": token, "state": state})
    assert replay.status_code == 400 and "bereits verwendet" in replay.get_data(as_text=True)
    # The same token with a fresh state: its nonce belongs to the first launch.
    attacker = app.test_client()
    fresh = fake_platform.auth_params(fake_platform.login(attacker))
    again = attacker.post("/lti/launch", data={"id_token": token, "state": fresh["state"]})
    assert again.status_code == 400 and "gehört nicht zu diesem Start" in again.get_data(as_text=True)
    assert refusal_reasons(app) == ["state_used", "nonce_mismatch"]
    assert attacker.get("/mein-fortschritt").status_code == 302


def test_launch_without_state_or_token_is_refused(app, client, fake_platform):
    fake_platform.register(app)
    assert client.post("/lti/launch", data={"id_token": "x"}).status_code == 400
    assert client.post("/lti/launch", data={"state": "never-issued", "id_token": "x"}).status_code == 400
    params = fake_platform.auth_params(fake_platform.login(client))
    assert client.post("/lti/launch", data={"state": params["state"]}).status_code == 400
    assert refusal_reasons(app) == ["state_missing", "state_unknown", "token_missing"]


def test_an_old_state_is_refused(app, client, fake_platform, coordinator):
    from datetime import timedelta

    fake_platform.register(app)
    params = fake_platform.auth_params(fake_platform.login(client))
    with app.app_context():
        launch = db.session.scalars(select(LtiLaunch)).one()
        launch.expires_at = launch.created_at - timedelta(seconds=1)
        db.session.commit()
    response = client.post(
        "/lti/launch", data={"id_token": fake_platform.sign(fake_platform.claims(params["nonce"])), "state": params["state"]}
    )
    assert response.status_code == 400 and "abgelaufen" in response.get_data(as_text=True)
    assert refusal_reasons(app) == ["state_expired"]


def test_platform_keys_are_cached_and_a_rotated_key_is_fetched(app, client, fake_platform, coordinator):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    for _ in range(2):
        response, _state, _token = fake_platform.launch(app.test_client())
        assert response.status_code == 302
    assert fake_platform.jwks_fetches == 1
    # The platform rotates its key; the cached JWKS (older than the refetch pause) lacks it.
    fake_platform.published = ["platform-key-1", "platform-key-2"]
    fake_platform.kid = "platform-key-2"
    from datetime import timedelta

    with app.app_context():
        platform = db.session.get(LtiPlatform, platform_id)
        platform.jwks_fetched_at = platform.jwks_fetched_at - timedelta(minutes=5)
        db.session.commit()
    response, _state, _token = fake_platform.launch(app.test_client())
    assert response.status_code == 302
    assert fake_platform.jwks_fetches == 2


# --- the browser the login began in (login CSRF) --------------------------------------------------


def binding_cookies(response) -> list[str]:
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith("wirlearn-lti-")]


def binding_cookie(response) -> tuple[str, str]:
    """Name and value of the cookie a login initiation gave the browser."""
    (header,) = binding_cookies(response)
    name, _sep, value = header.split(";")[0].partition("=")
    return name, value


def test_login_initiation_binds_the_state_to_the_browser_with_a_cookie_for_the_launch_only(app, client, fake_platform):
    app.config["SESSION_COOKIE_SECURE"] = True  # as in production
    fake_platform.register(app)
    response = fake_platform.login(client)
    state = fake_platform.auth_params(response)["state"]
    (cookie,) = binding_cookies(response)
    attributes = [part.strip() for part in cookie.split(";")]
    name, _sep, value = attributes[0].partition("=")
    # Sent back only with the launch's cross-site form post, in the platform's frame (CHIPS)
    # or a window of its own, never readable by scripts; gone when the state expires.
    assert {"Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/lti/launch", "Max-Age=600"} <= set(attributes)
    with app.app_context():
        stored = db.session.scalars(select(LtiLaunch)).one()
        # Nothing anyone holding the state (or what is stored) could make a cookie from.
        assert value not in {state, stored.state_hash, stored.nonce} and len(value) >= 32
        assert stored.state_hash[:16] in name
    assert client.get_cookie(name, path="/lti/launch") is not None


def test_over_plain_http_the_binding_cookie_follows_the_session_cookie(app, client, fake_platform):
    fake_platform.register(app)
    (cookie,) = binding_cookies(fake_platform.login(client))
    attributes = {part.strip() for part in cookie.split(";")}
    # A browser drops SameSite=None and Partitioned without Secure: Lax, as the session cookie.
    assert "SameSite=Lax" in attributes and "Path=/lti/launch" in attributes and "HttpOnly" in attributes
    assert "Secure" not in attributes and "Partitioned" not in attributes


def test_a_launch_from_the_browser_that_began_it_works_once_and_its_cookie_is_deleted(app, client, fake_platform, coordinator):
    app.config["SESSION_COOKIE_SECURE"] = True
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    login = fake_platform.login(client)
    params = fake_platform.auth_params(login)
    token = fake_platform.sign(fake_platform.claims(params["nonce"]))
    name, value = binding_cookie(login)
    response = client.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert response.status_code == 302 and "/lti/weiter/" in response.headers["Location"]
    (deleted,) = binding_cookies(response)
    assert (
        deleted.startswith(name + "=;") and "Max-Age=0" in deleted and "Partitioned" in deleted and "Path=/lti/launch" in deleted
    )
    assert client.get_cookie(name, path="/lti/launch") is None
    assert follow(client, response).request.path == "/mein-fortschritt"
    # One-time: the same browser, even with its cookie back, cannot use the state again.
    client.set_cookie(name, value, path="/lti/launch")
    again = client.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert again.status_code == 400 and "bereits verwendet" in again.get_data(as_text=True)
    assert refusal_reasons(app) == ["state_used"]


def test_two_launches_begun_at_once_in_one_browser_both_work(app, client, fake_platform, coordinator):
    """Two wirlearn activities on one course page start their logins side by side."""
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    first = fake_platform.auth_params(fake_platform.login(client))
    second = fake_platform.auth_params(fake_platform.login(client))
    for params in (second, first):
        token = fake_platform.sign(fake_platform.claims(params["nonce"]))
        assert client.post("/lti/launch", data={"id_token": token, "state": params["state"]}).status_code == 302
    assert refusal_reasons(app) == []


def test_the_refusal_of_a_foreign_browser_shows_in_the_platforms_frame_only(app, client, fake_platform):
    """Safari keeps no cookie in the frame: the refusal saying what to do must show there."""
    fake_platform.register(app)
    params = fake_platform.auth_params(fake_platform.login(client))
    token = fake_platform.sign(fake_platform.claims(params["nonce"]))
    framed = app.test_client(use_cookies=False)
    refused = framed.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert refused.status_code == 400 and "in einem neuen Fenster" in refused.get_data(as_text=True)
    assert f"frame-ancestors 'self' {fake_platform.base}" in refused.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in refused.headers
    # A launch no platform can be named for stays unframeable.
    unknown = framed.post("/lti/launch", data={"id_token": token, "state": "never-issued"})
    assert "frame-ancestors 'none'" in unknown.headers["Content-Security-Policy"]
    assert unknown.headers["X-Frame-Options"] == "DENY"


def _forged_from_the_state(state: str) -> str:
    import hashlib

    return hashlib.sha256(state.encode()).hexdigest()


@pytest.mark.parametrize(
    "victim_cookie",
    ["none", "from_another_launch", "the_state", "hash_of_the_state"],
)
def test_a_launch_posted_from_another_browser_is_refused_and_signs_no_one_in(app, fake_platform, coordinator, victim_cookie):
    """Login CSRF: someone begins a launch with their own platform account and makes another
    person's browser post its id_token and state; that browser must not be signed in to their
    account, nor linked to anything."""
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "attacker-sub", coordinator.id)  # the attacker's own account
    attacker = app.test_client()
    login = fake_platform.login(attacker)
    params = fake_platform.auth_params(login)
    token = fake_platform.sign(fake_platform.claims(params["nonce"], sub="attacker-sub"))
    name, _value = binding_cookie(login)
    victim = app.test_client()
    if victim_cookie == "from_another_launch":
        # The victim's own launch in flight: a cookie of this browser, but not for this state.
        _other_name, other = binding_cookie(fake_platform.login(victim))
        victim.set_cookie(name, other, path="/lti/launch")
    elif victim_cookie == "the_state":
        victim.set_cookie(name, params["state"], path="/lti/launch")
    elif victim_cookie == "hash_of_the_state":
        victim.set_cookie(name, _forged_from_the_state(params["state"]), path="/lti/launch")
    links_before = count(app, LtiUserLink)
    response = victim.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Start aus der Lernplattform nicht möglich" in text
    assert "Dieser Start wurde in einem anderen Browser begonnen" in text
    assert "Bitte starten Sie wirlearn erneut aus der Lernplattform." in text and "in einem neuen Fenster" in text
    assert refusal_reasons(app) == ["state_foreign_browser"]
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lti.launch_refused")).one()
        assert refused.entity_id == str(platform_id)
        launch = db.session.scalars(select(LtiLaunch).where(LtiLaunch.nonce == params["nonce"])).one()
        assert launch.used_at is not None and launch.handoff_hash is None and launch.claims is None
    assert count(app, LtiUserLink) == links_before and count(app, LtiContext) == 0
    assert "lti.launch" not in audit_actions(app)
    assert "Location" not in response.headers  # no hand-over link to follow
    assert victim.get("/mein-fortschritt").status_code == 302  # nobody signed in
    # The state is spent: not even the browser that began it can use it now.
    late = attacker.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert late.status_code == 400 and refusal_reasons(app) == ["state_foreign_browser", "state_used"]


def test_a_browser_that_blocks_the_cookie_in_the_frame_gets_a_new_window_link(app, fake_platform, coordinator):
    """Chromium without third-party cookies keeps the launch's partitioned cookie in the
    platform's frame, but not the (unpartitioned) session cookie set after it."""
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    response, _state, _token = fake_platform.launch(app.test_client())
    framed = app.test_client(use_cookies=False)
    handoff = urlsplit(response.headers["Location"]).path
    page = follow(framed, response)
    assert page.status_code == 200 and "In neuem Fenster öffnen" in page.get_data(as_text=True)
    # Shown in the platform's frame, where the browser dropped the session: framing allowed there.
    assert f"frame-ancestors 'self' {fake_platform.base}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    window = app.test_client()  # the new window: the same link, first-party
    assert follow(window, window.get(handoff)).request.path == "/mein-fortschritt"
    assert window.get(handoff).status_code == 410  # spent once it worked


def test_in_production_a_launched_session_may_be_framed_by_its_platform_only(app, fake_platform, coordinator, client, login):
    app.config["SESSION_COOKIE_SECURE"] = True
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    launched = app.test_client()
    response, _state, _token = fake_platform.launch(launched)
    sign_in = launched.get(urlsplit(response.headers["Location"]).path)
    cookie = next(value for value in sign_in.headers.getlist("Set-Cookie") if value.startswith("wirlearn_session="))
    assert "SameSite=None" in cookie and "Secure" in cookie
    page = follow(launched, sign_in)
    assert f"frame-ancestors 'self' {fake_platform.base}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    # A session signed in the usual way stays Lax and unframeable.
    direct = login(client, coordinator)
    assert "SameSite=Lax" in next(
        value for value in direct.headers.getlist("Set-Cookie") if value.startswith("wirlearn_session=")
    )
    assert client.get("/mein-fortschritt").headers["X-Frame-Options"] == "DENY"


# --- deep linking -----------------------------------------------------------------------------


def test_deep_linking_returns_a_signed_resource_link_for_the_chosen_series(app, client, fake_platform, programme, trainer):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    response, _state, _token = fake_platform.launch(client, deep_linking=True, sub="moodle-trainer-1")
    picker = follow(client, response)
    assert picker.request.path.startswith("/lti/deep-linking/")
    series_id = programme["main"].id
    answer = client.post(picker.request.path, data={"series_id": series_id})
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert f'action="{fake_platform.base}/deep-link-return"' in text
    assert f"form-action 'self' {fake_platform.base}" in answer.headers["Content-Security-Policy"]
    token = text.split('name="JWT" value="')[1].split('"')[0]
    jwks = jwt.PyJWKSet.from_dict(client.get("/lti/jwks.json").get_json())
    kid = jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(token, jwks[kid].key, algorithms=["RS256"], audience=fake_platform.issuer)
    assert claims["iss"] == CLIENT_ID
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse" and claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == DEPLOYMENT_ID and claims[DL + "data"] == "opaque-data-123"
    item = claims[DL + "content_items"][0]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://wirlearn.test/lti/launch"
    assert item["custom"] == {"series_id": str(series_id)}
    with app.app_context():
        assert db.session.scalars(select(LtiContext.series_id)).one() == series_id
    assert "lti.deep_link" in audit_actions(app)


@pytest.mark.parametrize("accepted", [["file", "html"], "link", []])
def test_deep_linking_where_the_platform_takes_no_activity_is_refused_in_german(app, client, fake_platform, trainer, accepted):
    """A platform asking for a file or a web link (``accept_types`` without ``ltiResourceLink``)
    gets no series picker that could only end in an answer it rejects: a German refusal that
    says what to do instead, audited, nothing linked."""
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    settings = {"deep_link_return_url": fake_platform.base + "/deep-link-return", "accept_types": accepted}
    response, _state, _token = fake_platform.launch(
        client, deep_linking=True, sub="moodle-trainer-1", **{DL + "deep_linking_settings": settings}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "einen anderen Inhalt als eine Aktivität" in text
    assert "Fügen Sie wirlearn im Kurs als Aktivität hinzu" in text
    assert refusal_reasons(app) == ["content_type_not_accepted"]
    assert count(app, LtiContext) == 0


def test_deep_linking_without_accept_types_still_offers_the_series(app, client, fake_platform, programme, trainer):
    """Platforms that leave ``accept_types`` out (it is required, but not every platform sends
    it) still get the picker: wirlearn returns the one kind it has."""
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    settings = {"deep_link_return_url": fake_platform.base + "/deep-link-return"}
    response, _state, _token = fake_platform.launch(
        client, deep_linking=True, sub="moodle-trainer-1", **{DL + "deep_linking_settings": settings}
    )
    assert follow(client, response).request.path.startswith("/lti/deep-linking/")


def test_deep_linking_page_belongs_to_the_trainer_who_launched(
    app, client, fake_platform, programme, trainer, other_trainer, login
):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    response, _state, _token = fake_platform.launch(client, deep_linking=True, sub="moodle-trainer-1")
    path = follow(client, response).request.path
    other = app.test_client()
    login(other, other_trainer)
    assert other.get(path).status_code == 404


# --- roster (Names and Role Provisioning Services) -------------------------------------------


def _members(fake, coordinator):
    return [
        {"user_id": "moodle-user-7", "name": "Ayşe Yılmaz", "email": coordinator.email, "roles": [LEARNER], "status": "Active"},
        {"user_id": "moodle-new-1", "name": "Nina Neu", "email": "nina@example.org", "roles": [LEARNER]},
        {"user_id": "moodle-dup", "name": "Doppelt", "email": "trainer@example.org", "roles": [LEARNER]},
        {"user_id": "moodle-teacher", "name": "Lehrkraft", "email": "lehrkraft@example.org", "roles": [INSTRUCTOR]},
        {"user_id": "moodle-gone", "name": "Inaktiv", "email": "inaktiv@example.org", "roles": [LEARNER], "status": "Inactive"},
        {"user_id": "moodle-anon", "name": "Ohne Adresse", "roles": [LEARNER]},
    ]


def test_roster_sync_enrols_the_linked_learners_once_and_reports_the_rest(
    app, client, fake_platform, factory, coordinator, other_coordinator, trainer, admin, login
):
    series = factory.series(trainers=(trainer,), coordinators=(other_coordinator,))
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    link_user(app, platform_id, "moodle-left", other_coordinator.id)  # enrolled, no longer in the course
    context_id = link_course(app, platform_id, series.id, fake_platform)
    fake_platform.members = _members(fake_platform, coordinator)
    fake_platform.members_page_size = 2  # three pages, linked by rel="next"
    login(client, admin)
    response = client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Neu eingeschrieben: 1" in page
    # Without an account (wirlearn needs their Gebietskörperschaft): listed, nothing made.
    assert "Noch ohne wirlearn-Konto" in page and "nina@example.org" in page and "Ohne Adresse" in page
    # An address an account uses: never merged, the person confirms the link at a launch.
    assert "Verbindung nötig" in page and "trainer@example.org" in page
    assert "Nicht mehr im Kurs" in page and "Đorđe Petrović" in page
    assert "Lehrkraft" not in page and "Inaktiv" not in page
    with app.app_context():
        active = select(Enrollment.user_id).where(Enrollment.series_id == series.id, Enrollment.status == "active")
        assert set(db.session.scalars(active)) == {coordinator.id, other_coordinator.id}  # who left stays until decided
        sync = db.session.scalars(select(LtiSync)).one()
        assert sync.status == "done" and sync.requested_by_id == admin.id
    assert len(fake_platform.received("GET", "/memberships")) == 3
    assert fake_platform.token_requests[0]["scope"] == "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    # Again: nothing new.
    second = client.get(client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich").headers["Location"]).get_data(as_text=True)
    assert "Neu eingeschrieben: 0" in second and "Schon eingeschrieben: 1" in second
    assert count(app, User) == 4
    assert audit_actions(app).count("lti.roster_synced") == 2


def test_a_failing_roster_sync_changes_nothing_and_says_why(app, client, fake_platform, factory, trainer, admin, login):
    series = factory.series(trainers=(trainer,))
    platform_id = fake_platform.register(app)
    context_id = link_course(app, platform_id, series.id, fake_platform)
    with app.app_context():
        db.session.get(LtiContext, context_id).memberships_url = fake_platform.base + "/no-such-service"
        db.session.commit()
    login(client, admin)
    page = follow(client, client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich"))
    assert "Der Abgleich ist fehlgeschlagen" in page.get_data(as_text=True)
    assert count(app, Enrollment, Enrollment.series_id == series.id) == 0
    assert "lti.roster_failed" in audit_actions(app)


def test_client_assertion_is_signed_with_the_tool_key(app, client, fake_platform, factory, trainer, admin, login):
    series = factory.series(trainers=(trainer,))
    platform_id = fake_platform.register(app)
    context_id = link_course(app, platform_id, series.id, fake_platform)
    login(client, admin)
    client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich")
    request = fake_platform.token_requests[0]
    assert request["grant_type"] == "client_credentials"
    assert request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    jwks = jwt.PyJWKSet.from_dict(client.get("/lti/jwks.json").get_json())
    assertion = request["client_assertion"]
    claims = jwt.decode(
        assertion,
        jwks[jwt.get_unverified_header(assertion)["kid"]].key,
        algorithms=["RS256"],
        audience=fake_platform.base + "/token",
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID and claims["jti"]


# --- grades (Assignment and Grade Services) ---------------------------------------------------


def _record(app, module_id, user_id, **entry):
    from wirlearn.assessments.services import AssessmentEntry, save_assessments

    with app.app_context():
        save_assessments(module_id, {user_id: AssessmentEntry(**entry)}, actor_id=None)
        db.session.commit()


def test_a_recorded_result_reaches_the_gradebook_and_a_new_maximum_updates_the_line_item(
    app, fake_platform, factory, trainer, coordinator
):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    link_course(app, platform_id, series.id, fake_platform)
    points_module = series.module_ids[1]
    _record(app, points_module, coordinator.id, points=75)
    assert len(fake_platform.line_items) == 1
    item = next(iter(fake_platform.line_items.values()))
    assert item["scoreMaximum"] == 100 and item["label"] == "Praxis" and item["resourceId"] == f"wirlearn-module-{points_module}"
    score = fake_platform.scores[-1]
    assert score["userId"] == "moodle-user-7" and score["scoreGiven"] == 75 and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    # The module's maximum changes: the line item follows before the next score.
    from wirlearn.programme.models import Module

    with app.app_context():
        db.session.get(Module, points_module).max_points = 120
        db.session.commit()
    _record(app, points_module, coordinator.id, points=90)
    assert len(fake_platform.line_items) == 1 and item["id"] in fake_platform.line_items
    assert fake_platform.line_items[item["id"]]["scoreMaximum"] == 120
    assert fake_platform.scores[-1]["scoreGiven"] == 90 and fake_platform.scores[-1]["scoreMaximum"] == 120
    # A pass/fail module: 1 of 1.
    _record(app, series.module_ids[0], coordinator.id, result="passed")
    assert fake_platform.scores[-1]["scoreGiven"] == 1 and fake_platform.scores[-1]["scoreMaximum"] == 1
    assert len(fake_platform.line_items) == 2
    assert count(app, LtiScore, LtiScore.status == "sent") == 3


def test_results_of_people_not_linked_to_the_platform_stay_in_wirlearn(app, fake_platform, factory, trainer, coordinator):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    link_course(app, platform_id, series.id, fake_platform)
    _record(app, series.module_ids[1], coordinator.id, points=75)
    assert fake_platform.scores == [] and count(app, LtiScore) == 0


def test_a_failed_send_is_retried_by_the_job_and_shown_when_it_gives_up(
    app, client, fake_platform, factory, trainer, coordinator, admin, login
):
    from datetime import timedelta

    from wirlearn.jobs import run_job
    from wirlearn.lti import grades

    series = factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    link_course(app, platform_id, series.id, fake_platform)
    fake_platform.fail_scores = 1
    _record(app, series.module_ids[1], coordinator.id, points=75)
    with app.app_context():
        score = db.session.scalars(select(LtiScore)).one()
        assert score.status == "pending" and score.attempts == 1 and "503" in score.last_error
        score.next_attempt_at -= timedelta(minutes=5)
        db.session.commit()
        assert run_job("lti.scores") == {"sent": 1, "failed": 0}
    assert fake_platform.scores[-1]["scoreGiven"] == 75
    # A platform that keeps failing: given up after the last attempt, shown to admins, sent again on request.
    fake_platform.fail_scores = 100
    _record(app, series.module_ids[1], coordinator.id, points=80)
    with app.app_context():
        for _ in range(grades.MAX_ATTEMPTS):
            for waiting in db.session.scalars(select(LtiScore).where(LtiScore.status == "pending")):
                waiting.next_attempt_at -= timedelta(days=1)
            db.session.commit()
            run_job("lti.scores")
        failed = db.session.scalars(select(LtiScore).where(LtiScore.status == "failed")).one()
        assert failed.attempts == grades.MAX_ATTEMPTS
    login(client, admin)
    page = client.get("/verwaltung/lti").get_data(as_text=True)
    assert "fehlgeschlagen: 1" in page and "Erneut senden" in page
    fake_platform.fail_scores = 0
    client.post(f"/verwaltung/lti/ergebnisse/{failed.id}/erneut")
    assert fake_platform.scores[-1]["scoreGiven"] == 80
    assert count(app, LtiScore, LtiScore.status == "sent") == 2
    assert {"lti.score_failed", "lti.score_retried", "lti.score_sent"} <= set(audit_actions(app))


def test_an_issued_certificate_marks_eligibility_in_the_gradebook(app, fake_platform, factory, trainer, coordinator):
    from types import SimpleNamespace

    from wirlearn import signals
    from wirlearn.lti import grades

    series = factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    link_course(app, platform_id, series.id, fake_platform)
    with app.app_context():
        enrollment_id = db.session.scalars(select(Enrollment.id).where(Enrollment.user_id == coordinator.id)).one()
        # The receiver itself, with only what it reads (issuing a real certificate is tested in
        # test_certificates.py); that it listens to the signal is checked here too.
        assert grades.on_certificate_issued in signals.certificate_issued.receivers.values()
        grades.on_certificate_issued(SimpleNamespace(enrollment_id=enrollment_id))
        db.session.commit()
    assert fake_platform.scores[-1]["scoreGiven"] == 1 and fake_platform.scores[-1]["comment"] == "Zertifikat erteilt"
    assert next(iter(fake_platform.line_items.values()))["resourceId"] == "wirlearn-eligibility"


# --- dynamic registration ---------------------------------------------------------------------


def test_dynamic_registration_registers_and_waits_for_an_admin(app, client, fake_platform, admin, login):
    config_url = fake_platform.base + "/.well-known/openid-configuration"
    page = client.get("/lti/register", query_string={"openid_configuration": config_url, "registration_token": "reg-token-1"})
    assert page.status_code == 200 and "bestätigt eine Person mit der Rolle Admin" in page.get_data(as_text=True)
    sent = fake_platform.registrations[0]
    assert sent["initiate_login_uri"] == "http://wirlearn.test/lti/login"
    assert sent["redirect_uris"] == ["http://wirlearn.test/lti/launch"]
    assert sent["jwks_uri"] == "http://wirlearn.test/lti/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "LtiDeepLinkingRequest" in {
        m["type"] for m in sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]["messages"]
    }
    with app.app_context():
        platform = db.session.scalars(select(LtiPlatform)).one()
        assert (platform.status, platform.client_id, platform.deployment_ids) == ("pending", "dyn-client-1", ["dyn-deploy-1"])
        assert platform.issuer == fake_platform.base and platform.source == "dynamic"
    # Not usable until confirmed.
    refused = fake_platform.login(client, client_id="dyn-client-1", lti_deployment_id="dyn-deploy-1")
    assert refused.status_code == 400 and "noch nicht bestätigt" in refused.get_data(as_text=True)
    login(client, admin)
    assert "wartet auf Bestätigung" in client.get("/verwaltung/lti").get_data(as_text=True)
    client.post(f"/verwaltung/lti/{platform.id}/bestaetigen")
    assert fake_platform.login(app.test_client(), client_id="dyn-client-1", lti_deployment_id="dyn-deploy-1").status_code == 302
    assert "lti.platform_confirmed" in audit_actions(app)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "keine gültige Adresse"),
        ({"openid_configuration": "javascript:alert(1)"}, "keine gültige Adresse"),
        ({"openid_configuration": "{base}/nothing-here"}, "nicht abrufbar"),
        ({"openid_configuration": "{base}/.well-known/openid-configuration", "registration_token": "wrong"}, "abgelehnt"),
    ],
)
def test_dynamic_registration_refuses_bad_requests_in_german(app, client, fake_platform, query, message):
    query = {key: value.format(base=fake_platform.base) for key, value in query.items()}
    page = client.get("/lti/register", query_string=query)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    assert count(app, LtiPlatform) == 0


# --- the admins' page and the CLI -------------------------------------------------------------


def _form(fake, **changes):
    return {
        "name": "Moodle des Instituts",
        "issuer": "https://moodle.example.org",
        "client_id": "abc123",
        "deployment_ids": "1, 2\n2",
        "auth_login_url": "https://moodle.example.org/mod/lti/auth.php",
        "token_url": "https://moodle.example.org/mod/lti/token.php",
        "jwks_url": "https://moodle.example.org/mod/lti/certs.php",
    } | changes


def test_admin_registers_edits_and_deletes_a_platform(app, client, admin, login, fake_platform):
    login(client, admin)
    page = client.get("/verwaltung/lti").get_data(as_text=True)
    assert "http://wirlearn.test/lti/login" in page and "http://wirlearn.test/lti/launch" in page
    assert "http://wirlearn.test/lti/jwks.json" in page
    created = client.post("/verwaltung/lti/neu", data=_form(fake_platform))
    assert created.status_code == 302
    with app.app_context():
        platform = db.session.scalars(select(LtiPlatform)).one()
        assert platform.deployment_ids == ["1", "2"] and platform.status == "active"
    edit = client.get(f"/verwaltung/lti/{platform.id}").get_data(as_text=True)
    assert "1\n2" in edit
    client.post(f"/verwaltung/lti/{platform.id}", data=_form(fake_platform, deployment_ids="3"))
    with app.app_context():
        assert db.session.get(LtiPlatform, platform.id).deployment_ids == ["3"]
    client.post(f"/verwaltung/lti/{platform.id}/loeschen")
    assert count(app, LtiPlatform) == 0
    assert [a for a in audit_actions(app) if a.startswith("lti.")] == [
        "lti.platform_created",
        "lti.platform_changed",
        "lti.platform_deleted",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Bitte geben Sie einen Namen an."),
        ({"client_id": ""}, "Bitte geben Sie die Client-ID an."),
        ({"deployment_ids": "   "}, "Bitte geben Sie mindestens eine Deployment-ID an."),
        ({"issuer": "moodle.example.org"}, "Der Aussteller (Issuer) muss eine Webadresse"),
        ({"token_url": "ftp://moodle.example.org/token"}, "Die Adressen der Plattform müssen mit https:// beginnen."),
        ({"jwks_url": "x" * 501}, "Schlüssel-URL"),
    ],
)
def test_platform_form_explains_bad_input_and_saves_nothing(app, client, admin, login, fake_platform, changes, message):
    login(client, admin)
    response = client.post("/verwaltung/lti/neu", data=_form(fake_platform, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, LtiPlatform) == 0


def test_the_same_registration_twice_is_refused(app, client, admin, login, fake_platform):
    login(client, admin)
    client.post("/verwaltung/lti/neu", data=_form(fake_platform))
    again = client.post("/verwaltung/lti/neu", data=_form(fake_platform, name="Nochmal"))
    assert "bereits registriert" in again.get_data(as_text=True) and count(app, LtiPlatform) == 1


def test_only_admins_manage_platforms(app, client, trainer, login, fake_platform):
    login(client, trainer)
    assert client.get("/verwaltung/lti").status_code == 403
    assert client.post("/verwaltung/lti/neu", data=_form(fake_platform)).status_code == 403
    assert count(app, LtiPlatform) == 0


def test_cli_registers_a_platform_and_prints_the_urls(app, runner):
    result = runner.invoke(
        args=[
            "lti", "register", "--issuer", "https://moodle.example.org", "--client-id", "abc",
            "--deployment-id", "1", "--deployment-id", "7",
            "--auth-url", "https://moodle.example.org/mod/lti/auth.php",
            "--token-url", "https://moodle.example.org/mod/lti/token.php",
            "--jwks-url", "https://moodle.example.org/mod/lti/certs.php",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "http://wirlearn.test/lti/login" in result.output and "http://wirlearn.test/lti/jwks.json" in result.output
    with app.app_context():
        assert db.session.scalars(select(LtiPlatform.deployment_ids)).one() == ["1", "7"]
    again = runner.invoke(
        args=[
            "lti",
            "register",
            "--issuer",
            "https://moodle.example.org",
            "--client-id",
            "abc",
            "--deployment-id",
            "1",
            "--auth-url",
            "https://moodle.example.org/a",
            "--token-url",
            "https://moodle.example.org/t",
            "--jwks-url",
            "https://moodle.example.org/j",
        ]
    )
    assert again.exit_code != 0 and "bereits registriert" in again.output


# --- personal data ----------------------------------------------------------------------------


def test_anonymising_a_person_removes_their_platform_links(app, fake_platform, coordinator):
    from wirlearn.ops.retention import anonymise

    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    with app.app_context():
        anonymise(db.session.get(User, coordinator.id), reason="request")
        db.session.commit()
    assert count(app, LtiUserLink) == 0
    assert "lti.accounts_unlinked" in audit_actions(app)
    # The platform's user is a stranger again: the next launch asks to link.
    client = app.test_client()
    response, _state, _token = fake_platform.launch(client)
    assert "Konto verbinden" in follow(client, response).get_data(as_text=True)


# --- more rules of the hand-over and the jobs -------------------------------------------------


def test_an_account_with_a_second_factor_is_asked_for_it(app, client, fake_platform, programme, trainer, login):
    from tests.functional.test_two_factor import code_for, enrol

    setup = app.test_client()
    login(setup, trainer)
    secret, _codes = enrol(app, setup, trainer)
    with app.app_context():  # the enrolment used this step's code; a code counts once
        db.session.get(User, trainer.id).totp_last_counter = None
        db.session.commit()
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-trainer-1", trainer.id)
    with app.app_context():
        db.session.add(LtiContext(platform_id=platform_id, context_id="course-42", series_id=programme["main"].id, ags_scopes=[]))
        db.session.commit()
    response, _state, _token = fake_platform.launch(client, sub="moodle-trainer-1", role=INSTRUCTOR)
    step = client.get(urlsplit(response.headers["Location"]).path)
    assert step.headers["Location"] == "/anmelden/bestaetigen"
    assert client.get("/training").status_code == 302  # not signed in before the code
    done = client.post("/anmelden/bestaetigen", data={"code": code_for(secret)})
    assert done.headers["Location"] == f"/training/reihen/{programme['main'].id}"


def test_a_second_sync_waits_for_the_running_one(app, client, fake_platform, factory, trainer, admin, login):
    series = factory.series(trainers=(trainer,))
    platform_id = fake_platform.register(app)
    context_id = link_course(app, platform_id, series.id, fake_platform)
    with app.app_context():
        db.session.add(LtiSync(context_id=context_id, status="running"))
        db.session.commit()
    login(client, admin)
    page = follow(client, client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich"))
    assert "Für diesen Kurs läuft bereits ein Abgleich." in page.get_data(as_text=True)
    assert count(app, LtiSync) == 1 and fake_platform.token_requests == []


def test_a_course_without_a_series_cannot_be_synced(app, client, fake_platform, admin, login):
    platform_id = fake_platform.register(app)
    with app.app_context():
        context = LtiContext(
            platform_id=platform_id, context_id="c", memberships_url=fake_platform.base + "/memberships", ags_scopes=[]
        )
        db.session.add(context)
        db.session.commit()
        context_id = context.id
    login(client, admin)
    page = follow(client, client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich"))
    assert "noch mit keiner Reihe verknüpft" in page.get_data(as_text=True) and count(app, LtiSync) == 0


def test_old_launches_are_purged(app, fake_platform, client):
    from datetime import timedelta

    from wirlearn.jobs import run_job

    fake_platform.register(app)
    fake_platform.login(client)
    fake_platform.login(client)
    with app.app_context():
        first = db.session.scalars(select(LtiLaunch).order_by(LtiLaunch.id)).first()
        first.created_at -= timedelta(days=2)
        db.session.commit()
        assert run_job("lti.purge_launches") == 1
    assert count(app, LtiLaunch) == 1


def test_in_production_dynamic_registration_calls_no_address_of_its_own_network(app, client, fake_platform):
    app.config["WIRLEARN_ENV"] = "production"
    for url in ("https://127.0.0.1/.well-known/openid-configuration", "https://10.0.0.5/config", "https://localhost/config"):
        page = client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": "x"})
        assert page.status_code == 400 and "nicht öffentlich erreichbar" in page.get_data(as_text=True)
    insecure = client.get(
        "/lti/register", query_string={"openid_configuration": fake_platform.base + "/.well-known/openid-configuration"}
    )
    assert insecure.status_code == 400 and "keine gültige Adresse" in insecure.get_data(as_text=True)  # http:// in production
    assert fake_platform.requests == [] and count(app, LtiPlatform) == 0


class TestWithRedis:
    """Roster sync and grades as production runs them: jobs in RQ on Redis, run by a worker."""

    @pytest.fixture
    def app_settings(self):
        from tests.support import redis_job_settings

        return {"LTI_KEY_BITS": 2048} | redis_job_settings()

    @pytest.fixture
    def queue(self, app):
        from tests.support import redis_job_queue
        from wirlearn.jobs import runner

        with redis_job_queue(app) as jobs_queue:
            runner.bind(app)
            yield jobs_queue

    def work(self, queue) -> None:
        from rq import SimpleWorker

        SimpleWorker([queue], connection=queue.connection).work(burst=True)

    def test_sync_and_scores_run_in_the_worker(
        self, app, client, queue, fake_platform, factory, trainer, coordinator, admin, login
    ):
        series = factory.series(trainers=(trainer,))
        platform_id = fake_platform.register(app)
        link_user(app, platform_id, "moodle-user-7", coordinator.id)
        context_id = link_course(app, platform_id, series.id, fake_platform)
        fake_platform.members = [{"user_id": "moodle-user-7", "name": "Ayşe Yılmaz", "roles": [LEARNER]}]
        login(client, admin)
        waiting = client.get(client.post(f"/verwaltung/lti/kurse/{context_id}/abgleich").headers["Location"])
        assert "Der Abgleich läuft im Hintergrund" in waiting.get_data(as_text=True)
        assert queue.count == 1 and fake_platform.token_requests == []
        self.work(queue)
        assert count(app, Enrollment, Enrollment.series_id == series.id, Enrollment.user_id == coordinator.id) == 1
        _record(app, series.module_ids[1], coordinator.id, points=70)
        assert queue.count == 1 and fake_platform.scores == []  # sent by the worker, not in the request
        self.work(queue)
        assert fake_platform.scores[-1]["scoreGiven"] == 70


@pytest.mark.parametrize(
    ("roles", "kind"),
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "instructor"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "instructor"),
        (["Instructor"], "instructor"),
        ([LEARNER, INSTRUCTOR], "instructor"),
        ([LEARNER], "learner"),
        (["Learner"], "learner"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"], "none"),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "none"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"], "none"),
        ([], "none"),
        ([None, 7], "none"),
    ],
)
def test_roles_are_mapped_explicitly(roles, kind):
    from wirlearn.lti.launch import role_kind

    assert role_kind(roles) == kind


def test_rotating_the_tool_key_keeps_the_old_one_published(app, client, runner):
    first = client.get("/lti/jwks.json").get_json()["keys"][0]["kid"]
    result = runner.invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in client.get("/lti/jwks.json").get_json()["keys"]]
    assert kids[0] == first and len(kids) == 2
    from wirlearn.lti import keys

    with app.app_context():
        token = keys.sign({"iss": "x"})
    assert jwt.get_unverified_header(token)["kid"] == kids[1]
    assert "lti.key_rotated" in audit_actions(app)


def test_the_programme_office_links_a_course_to_a_series(app, client, fake_platform, factory, trainer, admin, login):
    series = factory.series(trainers=(trainer,))
    platform_id = fake_platform.register(app)
    with app.app_context():
        context = LtiContext(platform_id=platform_id, context_id="c-9", title="Kurs ohne Reihe", ags_scopes=[])
        db.session.add(context)
        db.session.commit()
        context_id = context.id
    login(client, admin)
    page = client.get("/verwaltung/lti").get_data(as_text=True)
    assert "noch nicht verknüpft" in page and "Reihe des Kurses „Kurs ohne Reihe“" in page
    refused = follow(client, client.post(f"/verwaltung/lti/kurse/{context_id}/reihe", data={"series_id": "999999"}))
    assert "Bitte wählen Sie eine Reihe." in refused.get_data(as_text=True)
    done = follow(client, client.post(f"/verwaltung/lti/kurse/{context_id}/reihe", data={"series_id": str(series.id)}))
    assert "Der Kurs ist jetzt mit der Reihe verknüpft." in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LtiContext, context_id).series_id == series.id
    assert "lti.course_linked" in audit_actions(app)


def test_lti_events_show_in_the_audit_trail(app, client, fake_platform, coordinator, admin, login):
    platform_id = fake_platform.register(app)
    link_user(app, platform_id, "moodle-user-7", coordinator.id)
    fake_platform.launch(app.test_client())
    fake_platform.launch(app.test_client(), aud="another-tool")
    login(client, admin)
    page = client.get("/verwaltung/protokoll")
    assert page.status_code == 200
    from wirlearn.lti.audit_events import AUDIT_LABELS

    assert {"lti.platform_created", "lti.launch", "lti.launch_refused"} <= set(AUDIT_LABELS)
