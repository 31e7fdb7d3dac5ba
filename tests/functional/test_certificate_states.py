"""One decision of the state for combined cases (``certificates.states.decide``): revoked or
superseded AND past the end of validity → revoked / superseded wins, the expiry is shown beside
it. A test per surface: verification page, verification JSON, the holder's page, the admin's
certificate page and the series page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import services, states
from wirlearn.core.timeutil import to_local, utcnow
from wirlearn.extensions import db

NOW = datetime(2026, 12, 1, 12, 0)


@pytest.mark.parametrize(
    ("status", "valid_until", "expected"),
    [
        ("valid", None, ("valid", False)),
        ("valid", NOW + timedelta(days=1), ("valid", False)),
        ("valid", NOW, ("expired", True)),
        ("revoked", NOW - timedelta(days=1), ("revoked", True)),
        ("superseded", NOW - timedelta(days=1), ("superseded", True)),
        ("revoked", None, ("revoked", False)),
        ("superseded", NOW + timedelta(days=1), ("superseded", False)),
    ],
)
def test_decide(status, valid_until, expected):
    decision = states.decide(status, valid_until, NOW)
    assert (decision.state, decision.expired) == expected


@pytest.fixture(params=["revoked", "superseded"])
def combined(request, app, factory, coordinator, admin, monkeypatch):
    """A certificate issued two years ago with 12 months' validity, then revoked or superseded."""
    series = factory.series(coordinators=(coordinator,), validity_months=12)
    make_eligible(app, series, coordinator)
    two_years_ago = utcnow().replace(microsecond=0) - timedelta(days=730)
    monkeypatch.setattr(services, "utcnow", lambda: two_years_ago)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, coordinator), issued_by_id=admin.id).code
        db.session.commit()
    monkeypatch.undo()
    with app.app_context():
        if request.param == "revoked":
            services.revoke_certificate(code, "Test", revoked_by_id=admin.id)
        else:
            services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir")
        db.session.commit()
        valid_until = services.certificate_by_code(code).valid_until
    return {"state": request.param, "code": code, "series_id": series.id, "valid_until": f"{to_local(valid_until):%d.%m.%Y}"}


WORD = {"revoked": "widerrufen", "superseded": "ersetzt"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_verification_page(client, combined):
    text = text_of(client.get(f"/v/{combined['code']}"))
    heading = "Widerrufen am" if combined["state"] == "revoked" else "Ersetzt"
    assert heading in text and "Abgelaufen am" not in text
    assert f"Außerdem ist seine Gültigkeit am {combined['valid_until']} abgelaufen." in text
    assert "Die digitale Signatur ist gültig" not in text


def test_verification_json(client, combined):
    body = client.get(f"/api/v1/verify/{combined['code']}").get_json()
    assert body["status"] == combined["state"] and body["state"] == combined["state"]
    assert body["expired"] is True


def test_holders_page(client, login, coordinator, combined):
    login(client, coordinator)
    text = text_of(client.get("/zertifikate"))
    assert WORD[combined["state"]] in text
    assert f"außerdem abgelaufen am {combined['valid_until']}" in text


def test_admin_certificate_page(client, login, admin, combined):
    login(client, admin)
    text = text_of(client.get(f"/verwaltung/zertifikate/{combined['code']}"))
    assert WORD[combined["state"]] in text
    assert f"außerdem abgelaufen am {combined['valid_until']}" in text


def test_admin_series_page(client, login, admin, combined):
    login(client, admin)
    html = client.get(f"/verwaltung/reihen/{combined['series_id']}/zertifikate").get_data(as_text=True)
    labels = re.findall(r'kern-badge--\w+"><span class="kern-label kern-label--small">(\w+)<', html)
    assert WORD[combined["state"]] in labels
    # The old certificate is never called "abgelaufen"; after a re-issue the successor (a valid
    # record with the same end of validity) is.
    assert labels.count("abgelaufen") == (1 if combined["state"] == "superseded" else 0)
