"""Absolute addresses (password links, share links, QR codes, API token issuer) come from one
helper: ``BASE_URL`` where it is set, otherwise — in development — the host and port the app is
actually served on, so ``PORT=8080 make run`` hands out links that work."""

from __future__ import annotations

import importlib
import re

import pytest

from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixture
from wirlearn.certificates import services as certificate_services
from wirlearn.extensions import db

SERVED = "http://127.0.0.1:8080"


def login_at(client, user, base_url=SERVED):
    """Sign in on the served host (the test client keeps cookies per host)."""
    response = client.post("/anmelden", data={"email": user.email, "password": user.password}, base_url=base_url)
    assert response.status_code == 302


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811
    return {"BASE_URL": "", "SIGNING_KEY_DIR": str(signing_key_dir)}


def test_development_leaves_base_url_unset_unless_given(monkeypatch):
    import config

    monkeypatch.delenv("BASE_URL", raising=False)
    try:
        assert importlib.reload(config).DevelopmentConfig.BASE_URL == ""
        monkeypatch.setenv("BASE_URL", "https://zertifikate.example/")
        assert importlib.reload(config).DevelopmentConfig.BASE_URL == "https://zertifikate.example"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_password_link_points_where_the_app_is_served(client, admin, coordinator):
    login_at(client, admin)
    login_at(client, admin, "http://localhost:5001")
    page = client.post(f"/verwaltung/nutzer/{coordinator.id}/passwort-link", base_url=SERVED).get_data(as_text=True)
    assert re.search(r"http://127\.0\.0\.1:8080/passwort-setzen/[\w.-]+", page), page[:2000]
    other = client.post(f"/verwaltung/nutzer/{coordinator.id}/passwort-link", base_url="http://localhost:5001")
    assert "http://localhost:5001/passwort-setzen/" in other.get_data(as_text=True)


def test_certificate_qr_and_share_link_point_where_the_app_is_served(app, client, admin, programme, coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    login_at(client, admin)
    issued = client.post(
        f"/verwaltung/reihen/{series.id}/zertifikate/ausstellen",
        data={"enrollment_id": enrollment_id(app, series, coordinator)},
        base_url=SERVED,
    )
    assert issued.status_code == 302
    with app.app_context():
        (certificate,) = certificate_services.certificates_of_user(coordinator.id)
        code = certificate.code
        # What the QR code on the PDF encodes and the signed credential names.
        assert certificate.snapshot["verify_url"] == f"{SERVED}/v/{code}"
        db.session.rollback()
    holder = client.application.test_client()
    login_at(holder, coordinator)
    page = holder.get("/zertifikate", base_url=SERVED).get_data(as_text=True)
    assert f'value="{SERVED}/v/{code}"' in page  # the link to share


def test_api_tokens_work_on_the_served_host(client, coordinator):
    token = client.post(
        "/api/v1/token", json={"email": coordinator.email, "password": coordinator.password}, base_url=SERVED
    ).json["access_token"]
    me = client.get("/api/v1/me/progress", headers={"Authorization": f"Bearer {token}"}, base_url=SERVED)
    assert me.status_code == 200, me.json


def test_cli_link_uses_the_port_outside_a_request(app, runner, monkeypatch):
    monkeypatch.setenv("PORT", "8080")
    result = runner.invoke(
        args=["create-user", "--email", "neu@example.org", "--name", "Neu", "--role", "trainer", "--no-invite"]
    )
    assert result.exit_code == 0, result.output
    assert f"{SERVED}/passwort-setzen/" in result.output


def test_configured_base_url_wins_over_the_request(app, client, admin, coordinator):
    app.config["BASE_URL"] = "https://zertifikate.example"
    login_at(client, admin)
    page = client.post(f"/verwaltung/nutzer/{coordinator.id}/passwort-link", base_url=SERVED).get_data(as_text=True)
    assert "https://zertifikate.example/passwort-setzen/" in page and SERVED not in page
