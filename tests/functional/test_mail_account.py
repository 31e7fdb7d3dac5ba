"""Invitations and password resets, end to end through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.mail_support import SENDER, drain, first_link, mail_settings, outbox, parts, subject
from tests.support import bearer
from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.mail.models import OutboxMessage

NEW_PASSWORD = "ein-neues-langes-passwort"


@pytest.fixture
def app_settings(smtp):
    return mail_settings(smtp)


def local_path(link: str) -> str:
    parts_ = urlsplit(link)
    assert parts_.netloc == "wirlearn.test", link  # BASE_URL of the tests
    return parts_.path


def count_outbox(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_person_created_in_admin_ui_gets_invitation_and_signs_in(app, client, login, admin, smtp, factory):
    region = factory.region_id("Kassel")
    login(client, admin)
    response = client.post(
        "/verwaltung/nutzer/neu",
        data={
            "email": "Neu.Person@Example.org",
            "display_name": "Nele Neu",
            "roles": ["coordinator"],
            "region_id": region,
            "invite": "y",
        },
    )
    assert response.status_code == 302
    assert smtp.received == []  # nothing is sent in the request
    assert [m.status for m in outbox(app, kind="invitation")] == ["queued"]

    result = drain(app)
    assert result.sent == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["neu.person@example.org"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "Nele Neu <neu.person@example.org>"
    assert message["Reply-To"] == "programmbuero@wir.example"
    assert subject(message) == "Ihr Zugang zu wirlearn: bitte Passwort setzen"
    assert message["Content-Language"] == "de"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@wir.example>")
    text, html = parts(message)
    assert "Guten Tag Nele Neu" in text and "Guten Tag Nele Neu" in html
    assert "72 Stunden" in text
    assert "weil die Programmleitung ein Konto für Sie angelegt hat" in text
    assert "<img" not in html and "src=" not in html  # no remote images, no trackers
    link = first_link(text, "/passwort-setzen/")
    assert link in html

    # The user list shows the invitation as sent.
    page = client.get("/verwaltung/nutzer/").get_data(as_text=True)
    assert "Einladung gesendet am" in page

    anonymous = app.test_client()
    form = anonymous.get(local_path(link))
    assert form.status_code == 200
    saved = anonymous.post(local_path(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 302
    signed_in = anonymous.post("/anmelden", data={"email": "neu.person@example.org", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and "/anmelden" not in signed_in.headers["Location"]
    # Used once, the link is dead.
    assert anonymous.get(local_path(link)).status_code == 410
    assert "aktiv (Passwort gesetzt)" in client.get("/verwaltung/nutzer/").get_data(as_text=True)


def test_invitation_in_english_for_english_speakers(app, smtp, factory):
    ref = factory.user("trainer", email="eng@example.org", name="Emma English", password=None)
    with app.app_context():
        user = db.session.get(User, ref.id)
        user.preferred_locale = "en"
        from wirlearn.users.services import invite_user

        invite_user(user)
        db.session.commit()
    drain(app)
    message = smtp.messages_to("eng@example.org")[0]
    assert message["Content-Language"] == "en"
    text, html = parts(message)
    assert subject(message) == "Your access to wirlearn: please set your password"
    assert "Hello Emma English" in text and "Hello Emma English" in html
    assert "Guten Tag" not in text


def test_failed_invitation_shows_the_reason_and_can_be_sent_again(app, client, login, admin, smtp, factory):
    ref = factory.user("trainer", email="bounce@example.org", name="Bo Unce", password=None)
    smtp.refuse("bounce@example.org")
    login(client, admin)
    assert client.post(f"/verwaltung/nutzer/{ref.id}/einladen").status_code == 302
    result = drain(app)
    assert result.failed == 1
    page = client.get("/verwaltung/nutzer/").get_data(as_text=True)
    assert "Einladung fehlgeschlagen" in page and "550" in page
    smtp.handler.refused.clear()
    # "Einladung erneut senden" from the list (a new message; the failed one stays on record)
    assert client.post(f"/verwaltung/nutzer/{ref.id}/einladen", data={"next": "/verwaltung/nutzer/"}).status_code == 302
    drain(app)
    assert len(smtp.messages_to("bounce@example.org")) == 1
    assert "Einladung gesendet am" in client.get("/verwaltung/nutzer/").get_data(as_text=True)


def test_invitation_refused_for_active_or_deactivated_people(app, client, login, admin, coordinator, factory):
    inactive = factory.user("trainer", email="weg@example.org", password=None, active=False)
    login(client, admin)
    for ref, text in ((coordinator, "bereits ein Passwort"), (inactive, "deaktiviert")):
        response = client.post(f"/verwaltung/nutzer/{ref.id}/einladen", follow_redirects=True)
        assert text in response.get_data(as_text=True)
    assert count_outbox(app) == 0


def test_api_invitation(app, admin, coordinator, factory):
    fresh = factory.user("trainer", email="api-invite@example.org", password=None)
    client = app.test_client()
    headers = bearer(client, admin)
    response = client.post(f"/api/v1/users/{fresh.id}/invitation", headers=headers)
    assert response.status_code == 202
    assert response.get_json() == {"status": "queued", "email": "api-invite@example.org"}
    assert client.post(f"/api/v1/users/{coordinator.id}/invitation", headers=headers).status_code == 409
    missing = client.post("/api/v1/users/999999/invitation", headers=headers)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert [m.to_address for m in outbox(app, kind="invitation")] == ["api-invite@example.org"]


def test_cli_create_user_invites_unless_told_not_to(app, runner, factory):
    factory.region_id()
    result = runner.invoke(args=["create-user", "--email", "cli@example.org", "--name", "Cli Person", "--role", "trainer"])
    assert result.exit_code == 0, result.output
    assert "Einladung an cli@example.org" in result.output
    quiet = runner.invoke(
        args=["create-user", "--email", "still@example.org", "--name", "Still", "--role", "trainer", "--no-invite"]
    )
    assert quiet.exit_code == 0, quiet.output
    assert "http://wirlearn.test/passwort-setzen/" in quiet.output
    assert [m.to_address for m in outbox(app, kind="invitation")] == ["cli@example.org"]


def test_import_invites_everyone_or_no_one(app, runner, factory, tmp_path):
    factory.region_id()
    csv = tmp_path / "people.csv"
    csv.write_text("email,name,region\na@example.org,Anna A,Kassel\nb@example.org,Bert B,Darmstadt\n", encoding="utf-8")
    assert runner.invoke(args=["import-coordinators", str(csv), "--no-invite"]).exit_code == 0
    assert outbox(app) == []
    csv.write_text("email,name,region\nc@example.org,Carl C,Kassel\nd@example.org,Dora D,Darmstadt\n", encoding="utf-8")
    assert runner.invoke(args=["import-coordinators", str(csv)]).exit_code == 0
    assert sorted(m.to_address for m in outbox(app, kind="invitation")) == ["c@example.org", "d@example.org"]
    # A file with a bad line imports nothing and queues nothing.
    csv.write_text("email,name,region\ne@example.org,Eva E,Kassel\nkaputt,Fritz F,Nirgendwo\n", encoding="utf-8")
    assert runner.invoke(args=["import-coordinators", str(csv)]).exit_code == 1
    assert len(outbox(app, kind="invitation")) == 2


# --- password reset -----------------------------------------------------------------------------


def request_reset(client, email: str):
    return client.post("/passwort-vergessen", data={"email": email})


def test_reset_answers_the_same_for_known_unknown_and_inactive_addresses(app, client, coordinator, factory, smtp):
    factory.user("trainer", email="inaktiv@example.org", active=False)
    answers = set()
    for email in (coordinator.email, "niemand@example.org", "inaktiv@example.org"):
        response = request_reset(client, email)
        assert response.status_code == 200
        answers.add(response.get_data(as_text=True))
    assert len(answers) == 1
    assert "Wenn zu dieser Adresse ein aktives Konto gehört" in answers.pop()
    # The same work for each: one row, whatever the address.
    assert len(outbox(app, kind="password_reset")) == 3
    drain(app)
    assert [item.rcpt_tos for item in smtp.received] == [[coordinator.email]]
    statuses = {m.to_address: m.status for m in outbox(app, kind="password_reset")}
    assert statuses == {coordinator.email: "sent", "niemand@example.org": "cancelled", "inaktiv@example.org": "cancelled"}


def test_reset_link_sets_password_and_ends_every_session_and_token(app, coordinator, smtp, login):
    other_browser = app.test_client()
    login(other_browser, coordinator)
    api = app.test_client()
    headers = bearer(api, coordinator)
    assert api.get("/api/v1/me/progress", headers=headers).status_code == 200
    client = app.test_client()
    request_reset(client, coordinator.email)
    request_reset(client, coordinator.email)  # a second link
    drain(app)
    first, second = (first_link(parts(message)[0], "/passwort-setzen/") for message in smtp.messages_to(coordinator.email))
    text = parts(smtp.messages_to(coordinator.email)[0])[0]
    assert "60 Minuten" in text
    assert client.post(local_path(second), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    # The other link died with the first one used; every session and token ended.
    assert client.get(local_path(first)).status_code == 410
    assert other_browser.get("/start").status_code == 302
    assert api.get("/api/v1/me/progress", headers=headers).status_code == 401
    assert client.post("/anmelden", data={"email": coordinator.email, "password": NEW_PASSWORD}).status_code == 302


def test_reset_link_expires_after_an_hour_but_invitation_after_72(app, coordinator, monkeypatch):
    from wirlearn.auth import services

    with app.app_context():
        user = db.session.get(User, coordinator.id)
        reset = services.make_password_token(user, purpose="reset")
        invitation = services.make_password_token(user, purpose="invitation")
        later = services.utcnow() + timedelta(minutes=61)
        monkeypatch.setattr(services, "utcnow", lambda: later)
        with pytest.raises(services.PasswordLinkError) as error:
            services.user_for_password_token(reset)
        assert error.value.reason == "expired"
        assert services.user_for_password_token(invitation).id == coordinator.id


def test_reset_refuses_malformed_addresses_in_german(app, client):
    for bad in ("kein-at-zeichen", "a@b@c", "x" * 300 + "@example.org", ""):
        response = request_reset(client, bad)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "gültige E-Mail-Adresse" in page or "Bitte geben Sie Ihre E-Mail-Adresse ein" in page or "Feld" in page
    assert count_outbox(app) == 0


def test_reset_header_injection_never_reaches_smtp(app, client, smtp):
    response = request_reset(client, "opfer@example.org\r\nBcc: boese@example.org")
    assert "gültige E-Mail-Adresse" in response.get_data(as_text=True)
    assert count_outbox(app) == 0


def test_reset_as_json(app, coordinator):
    client = app.test_client()
    response = client.post("/api/v1/password-reset", json={"email": coordinator.email})
    assert response.status_code == 202
    unknown = client.post("/api/v1/password-reset", json={"email": "unbekannt@example.org"})
    assert unknown.status_code == 202 and unknown.get_json() == response.get_json()
    bad = client.post("/api/v1/password-reset", json={"email": "nope"})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "gültige E-Mail-Adresse" in bad.get_data(as_text=True)
    assert len(outbox(app, kind="password_reset")) == 2


class TestRateLimits:
    @pytest.fixture
    def app_settings(self, smtp):
        return mail_settings(smtp) | {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_PASSWORD_RESET": "5 per hour",
            "RATELIMIT_PASSWORD_RESET_PER_ACCOUNT": "2 per hour",
        }

    def test_per_address_asked_for_and_per_client(self, app, coordinator):
        client = app.test_client()
        assert request_reset(client, coordinator.email).status_code == 200
        assert request_reset(client, coordinator.email).status_code == 200
        limited = request_reset(client, coordinator.email)
        assert limited.status_code == 429 and "Zu viele Anfragen" in limited.get_data(as_text=True)
        # The same for an address without an account: the limit tells nothing either.
        assert request_reset(client, "x@example.org").status_code == 200
        assert request_reset(client, "x@example.org").status_code == 200
        assert request_reset(client, "x@example.org").status_code == 429
        # Per client: five requests an hour, whatever the address.
        assert request_reset(client, "y@example.org").status_code == 200
        assert request_reset(client, "z@example.org").status_code == 429
        assert len(outbox(app, kind="password_reset")) == 5
