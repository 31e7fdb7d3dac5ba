"""What a program reading ``GET /api/v1/verify/{code}`` is told, and which credentials the
verification accepts: the whole answer for each state (nothing more, nothing less), the key and
the reason when a signature fails, a newer certificate named only when the office chose so, and a
certificate signed under the site's old address still confirmed after the address changed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import ids, keys, services, signing
from wirlearn.certificates.models import Certificate
from wirlearn.extensions import db
from wirlearn.verify import services as verify_services

ISSUED = datetime(2024, 3, 4, 12, 0, 0)  # naive UTC, like every stored time
CHANGED = datetime(2026, 6, 1, 8, 30, 0)
CHECKED = datetime(2026, 11, 25, 9, 15, 42)


@pytest.fixture(autouse=True)
def fixed_times(monkeypatch):
    """Issued, revoked or re-issued and checked at known times, so the answer can be written out."""
    monkeypatch.setattr(verify_services, "utcnow", lambda: CHECKED)
    verify_services.clear_cache()


def issue_at(app, series, user, monkeypatch, when=ISSUED) -> str:
    make_eligible(app, series, user)
    monkeypatch.setattr(services, "utcnow", lambda: when)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, user)).code
        db.session.commit()
    return code


def stored(app, code) -> Certificate:
    with app.app_context():
        certificate = services.certificate_by_code(code)
        db.session.expunge(certificate)
        return certificate


def answer(client, code) -> dict:
    response = client.get(f"/api/v1/verify/{code}")
    assert response.status_code == 200
    return response.get_json()


def test_the_json_of_a_valid_certificate_is_exactly_the_contract(app, client, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,), title="Reihe Pflege", validity_months=36)
    code = issue_at(app, series, coordinator, monkeypatch)
    kid = stored(app, code).kid
    assert answer(client, code) == {
        "status": "valid",
        "state": "valid",
        "expired": False,
        "code": code,
        "verify_url": f"http://wirlearn.test/v/{code}",
        "certificate": {
            "holder_name": "Ayşe Yılmaz",
            "title": "Zertifikat",
            "series": "Reihe Pflege",
            "provider": "Institut",
            "issuer": "Ministerium",
            "place": "Wiesbaden",
            "issued_at": "2024-03-04T12:00:00Z",
            "valid_until": "2027-03-04T12:00:00Z",
            "modules": [{"title": "Grundlagen", "teaching_units": 8}, {"title": "Praxis", "teaching_units": 8}],
            "teaching_units_total": 16,
        },
        "signature": {"valid": True, "kid": kid, "algorithm": "RS256"},
        "checked_at": "2026-11-25T09:15:42Z",
    }


def test_without_an_issuer_the_provider_issues_and_an_empty_place_is_null(app, client, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,), issuer_name="", place="")
    certificate = answer(client, issue_at(app, series, coordinator, monkeypatch))["certificate"]
    assert (certificate["issuer"], certificate["provider"], certificate["place"]) == ("Institut", "Institut", None)


def test_a_superseded_certificate_names_nobody_and_links_the_newer_one(app, client, admin, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,))
    code = issue_at(app, series, coordinator, monkeypatch)
    monkeypatch.setattr(services, "utcnow", lambda: CHANGED)
    with app.app_context():
        new = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir", link_successor=True).code
        db.session.commit()
    body = answer(client, code)
    assert (body["status"], body["state"], body["expired"]) == ("superseded", "superseded", False)
    assert body["certificate"]["holder_name"] is None
    assert body["superseded_at"] == "2026-06-01T08:30:00Z"
    assert body["superseded_by"] == {"code": new, "verify_url": f"http://wirlearn.test/v/{new}"}
    assert "revoked_at" not in body and "reason" not in body["signature"]
    # The newer one names its holder and points nowhere.
    newer = answer(client, new)
    assert newer["certificate"]["holder_name"] == "Ayşe Demir"
    assert "superseded_at" not in newer and "superseded_by" not in newer


def test_a_newer_certificate_the_office_did_not_link_is_not_named(app, client, admin, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,))
    code = issue_at(app, series, coordinator, monkeypatch)
    with app.app_context():
        new = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir").code
        db.session.commit()
    body = answer(client, code)
    assert body["status"] == "superseded" and "superseded_by" not in body
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert new not in html


def test_a_revoked_certificate_past_its_validity_says_both(app, client, admin, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,), validity_months=12)
    code = issue_at(app, series, coordinator, monkeypatch)
    monkeypatch.setattr(services, "utcnow", lambda: CHANGED)
    with app.app_context():
        services.revoke_certificate(code, "Grund", revoked_by_id=admin.id)
        db.session.commit()
    body = answer(client, code)
    assert (body["status"], body["state"], body["expired"]) == ("revoked", "revoked", True)
    assert body["revoked_at"] == "2026-06-01T08:30:00Z"
    assert "superseded_at" not in body and "superseded_by" not in body
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Widerrufen am 01.06.2026" in html
    assert "Außerdem ist seine Gültigkeit am 04.03.2025 abgelaufen." in html


def replace_credential(app, code, credential: str) -> None:
    with app.app_context():
        db.session.execute(update(Certificate).where(Certificate.code == code).values(credential=credential))
        db.session.commit()


def test_a_failed_signature_names_the_registered_key_and_the_reason(app, client, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,))
    code = issue_at(app, series, coordinator, monkeypatch)
    certificate = stored(app, code)
    head, payload, signature = certificate.credential.split(".")
    replace_credential(app, code, f"{head}.{payload}.{signature[:-4]}AAAA")
    body = answer(client, code)
    assert body["status"] == "invalid"
    assert body["signature"] == {"valid": False, "kid": certificate.kid, "algorithm": "RS256", "reason": "signature"}

    replace_credential(app, code, certificate.credential)
    with app.app_context():
        changed = dict(certificate.snapshot) | {"holder_name": "Mallory Muster"}
        db.session.execute(update(Certificate).where(Certificate.code == code).values(snapshot=changed))
        db.session.commit()
    assert answer(client, code)["signature"] == {
        "valid": False,
        "kid": certificate.kid,
        "algorithm": "RS256",
        "reason": "content",
    }


def test_a_credential_must_name_the_key_it_was_registered_with(app, client, factory, coordinator, monkeypatch):
    """Signed by the right key, but the header names the key as the credential's issuer wrote it:
    its URL or (older credentials) its bare thumbprint. Any other name is not confirmed."""
    series = factory.series(coordinators=(coordinator,))
    code = issue_at(app, series, coordinator, monkeypatch)
    certificate = stored(app, code)
    with app.app_context():
        key = keys.signing_key()
        claims = signing.credential_claims(certificate.snapshot)
        bare = signing.sign(claims, key, kid=key.kid)
        foreign = signing.sign(claims, key, kid=ids.key_url(key.kid, "https://elsewhere.example"))
    replace_credential(app, code, bare)
    assert answer(client, code)["status"] == "valid"
    replace_credential(app, code, foreign)
    body = answer(client, code)
    assert body["status"] == "invalid" and body["signature"]["reason"] == "unknown_key"


def test_a_certificate_signed_under_the_old_address_is_confirmed_after_the_site_moved(
    app, client, factory, coordinator, monkeypatch
):
    series = factory.series(coordinators=(coordinator,))
    code = issue_at(app, series, coordinator, monkeypatch)
    app.config["BASE_URL"] = "https://zertifikate.example"
    body = answer(client, code)
    assert (body["status"], body["signature"]["valid"]) == ("valid", True)
    assert body["verify_url"] == f"http://wirlearn.test/v/{code}"  # as printed on the certificate
