"""Issuing, revoking and re-issuing certificates; the credential checked independently against
the served JWKS; downloads and who may have them; the CLI; automatic issuing."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import jwt
import pytest
from sqlalchemy import func, select, update

from tests.certificate_support import app_settings, enrollment_id, issue, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.assessments.services import AssessmentEntry, save_assessments
from wirlearn.audit.models import AuditEvent
from wirlearn.certificates import codes, pdf, services
from wirlearn.certificates.models import Certificate, SigningKey
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Series

ROOT = Path(__file__).resolve().parents[2]


def certificate_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "certificate").order_by(AuditEvent.id))
        )


def token_for(client, user) -> dict:
    response = client.post("/api/v1/token", json={"email": user.email, "password": user.password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def independent_check(client, credential: str) -> dict:
    """PyJWT and the served JWKS only: nothing of the app's own verification."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    jwks = jwt.PyJWKSet.from_dict(response.get_json())
    kid = jwt.get_unverified_header(credential)["kid"]
    # The kid is the URL of the one JWK (OB 3.0): it resolves, and it is the JWKS key with the
    # thumbprint its last segment names.
    assert kid.startswith("http://wirlearn.test/ob/keys/")
    single = client.get(kid.removeprefix("http://wirlearn.test"))
    assert single.status_code == 200 and single.mimetype == "application/jwk+json"
    assert single.get_json()["kid"] == kid
    key = next(item for item in jwks.keys if item.key_id == kid.rsplit("/", 1)[1])
    assert jwt.PyJWK(single.get_json()).key.public_numbers() == key.key.public_numbers()
    return jwt.decode(credential, key.key, algorithms=["RS256"], options={"require": ["iss", "jti", "nbf", "sub"]})


# -- issuing -----------------------------------------------------------------------------------


def test_eligible_participant_gets_a_signed_certificate(app, client, programme, coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        snapshot, credential = certificate.snapshot, certificate.credential
        subject_uuid = db.session.scalar(select(Series).where(Series.id == series.id)) and certificate.snapshot["subject_id"]
        assert certificate.status == "valid" and certificate.valid_until is None
        assert jwt.get_unverified_header(credential)["kid"] == f"http://wirlearn.test/ob/keys/{certificate.kid}"
    assert snapshot["holder_name"] == "Ayşe Yılmaz"
    assert [m["title"] for m in snapshot["modules"]] == ["Grundlagen", "Praxis"]
    assert snapshot["teaching_units_total"] == 16
    assert snapshot["verify_url"] == f"http://wirlearn.test/v/{code}"

    claims = independent_check(client, credential)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == "Ayşe Yılmaz"
    assert claims["sub"] == subject_uuid and subject_uuid.startswith("urn:uuid:")
    assert claims["jti"] == f"http://wirlearn.test/v/{code}"
    assert audit_actions(app) == ["certificate.issued"]


def test_subject_id_is_the_users_stable_uuid(app, programme, coordinator):
    from wirlearn.auth.models import User

    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        uuid = db.session.get(User, coordinator.id).subject_uuid
        assert services.certificate_by_code(code).snapshot["subject_id"] == f"urn:uuid:{uuid}"
        assert str(coordinator.id) not in uuid.split("-")


def test_not_eligible_is_refused_with_the_missing_items_and_nothing_written(app, programme, coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator, skip_module=1)
    with app.app_context(), pytest.raises(services.CertificateError) as refused:
        services.issue_certificate(enrollment_id(app, series, coordinator))
    assert "erfüllt die Voraussetzungen" in str(refused.value)
    assert refused.value.missing == ["Modul 2: Bewertung steht noch aus"]
    assert certificate_count(app) == 0 and audit_actions(app) == []


def test_second_certificate_for_the_same_enrollment_is_refused(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    issue(app, programme["main"], coordinator)
    with app.app_context(), pytest.raises(services.CertificateError) as refused:
        services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
    assert refused.value.status == 409
    assert certificate_count(app) == 1


def test_validity_period_of_the_series_sets_valid_until(app, factory, coordinator):
    series = factory.series(coordinators=(coordinator,), validity_months=24)
    make_eligible(app, series, coordinator)
    code = issue(app, series, coordinator)
    with app.app_context():
        certificate = services.certificate_by_code(code)
        assert certificate.valid_until is not None
        months = (
            (certificate.valid_until.year - certificate.issued_at.year) * 12
            + certificate.valid_until.month
            - certificate.issued_at.month
        )
        assert months == 24
        assert (
            jwt.decode(certificate.credential, options={"verify_signature": False})["validUntil"]
            == certificate.snapshot["valid_until"]
        )


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert services.add_months(datetime(2026, 1, 31, 10), 1) == datetime(2026, 2, 28, 10)
    assert services.add_months(datetime(2026, 11, 25), 14) == datetime(2028, 1, 25)
    assert services.add_months(datetime(2024, 2, 29), 12) == datetime(2025, 2, 28)


def test_pdf_failure_leaves_no_certificate_and_no_audit_event(app, client, login, admin, programme, coordinator, monkeypatch):
    series = programme["main"]
    make_eligible(app, series, coordinator)

    def broken(*_args, **_kwargs):
        raise OSError("disk full while writing the PDF")

    monkeypatch.setattr(pdf, "render", broken)
    login(client, admin)
    response = client.post(
        f"/verwaltung/reihen/{series.id}/zertifikate/ausstellen", data={"enrollment_id": enrollment_id(app, series, coordinator)}
    )
    assert response.status_code == 500
    assert certificate_count(app) == 0 and audit_actions(app) == []

    # The batch reports it and goes on; still nothing half-written.
    response = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle")
    page = response.get_data(as_text=True)
    assert "Unerwarteter Fehler: nichts ausgestellt." in page
    assert "Fertig: 0 ausgestellt, 1 nicht ausgestellt." in page
    assert certificate_count(app) == 0 and audit_actions(app) == []

    monkeypatch.undo()
    client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle").get_data()  # streamed: runs while read
    assert certificate_count(app) == 1 and audit_actions(app) == ["certificate.issued"]


def test_signing_failure_leaves_nothing(app, programme, coordinator, monkeypatch):
    from wirlearn.certificates import signing

    make_eligible(app, programme["main"], coordinator)
    monkeypatch.setattr(signing, "sign", lambda *_a, **_k: (_ for _ in ()).throw(ValueError("HSM gone")))
    with app.app_context():
        with pytest.raises(ValueError):
            services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
        db.session.rollback()
    assert certificate_count(app) == 0 and audit_actions(app) == []


def test_admin_page_issues_one_and_then_everyone_eligible_streamed(
    app, client, login, admin, programme, coordinator, other_coordinator
):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    login(client, admin)
    page = client.get(f"/verwaltung/reihen/{series.id}/zertifikate").get_data(as_text=True)
    assert "Zertifikate für alle 2 Berechtigten ausstellen" in page

    response = client.post(
        f"/verwaltung/reihen/{series.id}/zertifikate/ausstellen", data={"enrollment_id": enrollment_id(app, series, coordinator)}
    )
    assert response.status_code == 302
    assert "Zertifikat für Ayşe Yılmaz ausgestellt" in client.get(response.headers["Location"]).get_data(as_text=True)

    response = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle")
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 3  # sent in pieces as certificates are committed, not as one page
    page = b"".join(chunks).decode()
    assert "1/1" in page and "Đorđe Petrović" in page
    assert "Fertig: 1 ausgestellt, 0 nicht ausgestellt." in page
    assert certificate_count(app) == 2


def test_issue_page_refuses_an_enrollment_of_another_series(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    login(client, admin)
    response = client.post(
        f"/verwaltung/reihen/{programme['other'].id}/zertifikate/ausstellen",
        data={"enrollment_id": enrollment_id(app, programme["main"], coordinator)},
    )
    assert response.status_code == 404
    assert certificate_count(app) == 0


def test_issuing_pages_are_for_admins_only(app, client, login, programme, trainer, coordinator):
    series = programme["main"]
    for user in (trainer, coordinator):
        login(client, user)
        assert client.get(f"/verwaltung/reihen/{series.id}/zertifikate").status_code == 403
        assert client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle").status_code == 403
        assert client.get(f"/verwaltung/reihen/{series.id}/zertifikate.zip").status_code == 403
        client.post("/abmelden")
    assert certificate_count(app) == 0


# -- API ---------------------------------------------------------------------------------------


def test_api_issue_answers_201_422_409_404(app, client, admin, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator, skip_module=0)
    headers = token_for(client, admin)
    response = client.post("/api/v1/certificates", json={"user_id": coordinator.id, "series_id": series.id}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"code": body["code"], "verify_url": f"http://wirlearn.test/v/{body['code']}"}

    response = client.post(
        "/api/v1/certificates", json={"user_id": other_coordinator.id, "series_id": series.id}, headers=headers
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["missing"] == ["Modul 1: Bewertung steht noch aus"]

    assert (
        client.post("/api/v1/certificates", json={"user_id": coordinator.id, "series_id": series.id}, headers=headers).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/certificates", json={"user_id": coordinator.id, "series_id": programme["other"].id}, headers=headers
        ).status_code
        == 404
    )
    assert client.post("/api/v1/certificates", json={"user_id": "1", "series_id": series.id}, headers=headers).status_code == 422
    assert certificate_count(app) == 1


def test_api_issue_and_revoke_refuse_non_admins(app, client, programme, trainer, coordinator):
    make_eligible(app, programme["main"], coordinator)
    for user in (trainer, coordinator):
        headers = token_for(client, user)
        response = client.post(
            "/api/v1/certificates", json={"user_id": coordinator.id, "series_id": programme["main"].id}, headers=headers
        )
        assert response.status_code == 403
    code = issue(app, programme["main"], coordinator)
    headers = token_for(client, coordinator)
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Ich will"}, headers=headers).status_code == 403
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "valid"


def test_credential_and_pdf_for_the_holder_and_admins_only(
    app, client, login, admin, programme, trainer, coordinator, other_coordinator
):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    unknown = "ABCDEFGHJKMNPQRSTUVWXYZ23456"
    for user in (coordinator, admin):
        headers = token_for(client, user)
        response = client.get(f"/api/v1/certificates/{code.lower()}/credential", headers=headers)
        # OB 3.0 "Open Badges Document Formats": a VC-JWT as a web resource is text/plain, as a
        # file it ends in .jwt.
        assert response.status_code == 200 and response.mimetype == "text/plain"
        assert response.headers["Content-Disposition"].endswith('.jwt"')
        assert independent_check(client, response.get_data(as_text=True))["jti"].endswith(code)
        response = client.get(f"/api/v1/certificates/{code}/pdf", headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
    for user in (other_coordinator, trainer):
        headers = token_for(client, user)
        for what in ("credential", "pdf"):
            refused = client.get(f"/api/v1/certificates/{code}/{what}", headers=headers)
            missing = client.get(f"/api/v1/certificates/{unknown}/{what}", headers=headers)
            assert refused.status_code == missing.status_code == 404
            assert refused.get_json() == missing.get_json()
    assert client.get(f"/api/v1/certificates/{code}/pdf").status_code == 401
    # The holder's browser session works for the download links on the pages.
    login(client, coordinator)
    assert client.get(f"/api/v1/certificates/{code}/pdf").status_code == 200
    # Writes need a token: a browser session is not enough.
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "x"}).status_code == 401


# -- revoke and re-issue -----------------------------------------------------------------------


def test_revoke_via_api_shows_at_once_and_is_audited(app, client, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    assert client.get(f"/v/{code}").status_code == 200  # warms the signature cache
    headers = token_for(client, admin)
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": ""}, headers=headers).status_code == 422
    response = client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Irrtümlich ausgestellt"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "revoked"
    body = client.get(f"/api/v1/verify/{code}").get_json()
    assert body["status"] == "revoked" and body["revoked_at"]
    assert "Widerrufen am" in client.get(f"/v/{code}").get_data(as_text=True)
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "noch mal"}, headers=headers).status_code == 409
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
        assert event.after["reason"] == "Irrtümlich ausgestellt" and event.after["status"] == "revoked"
        assert event.before["status"] == "valid" and event.actor_id == admin.id


def test_revoke_page_needs_a_reason_and_writes_nothing_without(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    login(client, admin)
    response = client.post(f"/verwaltung/zertifikate/{code}/widerrufen", data={"reason": "  "})
    assert response.status_code == 422
    assert "Bitte geben Sie einen Grund für den Widerruf an." in response.get_data(as_text=True)
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "valid"
    response = client.post(f"/verwaltung/zertifikate/{code}/widerrufen", data={"reason": "Teilnahme nachträglich aberkannt"})
    assert response.status_code == 302
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "revoked"


def test_reissue_after_a_name_change_supersedes_and_links_when_asked(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    old = issue(app, programme["main"], coordinator)
    login(client, admin)
    response = client.post(
        f"/verwaltung/zertifikate/{old}/neu-ausstellen", data={"holder_name": "Ayşe Yılmaz-Schneider", "link_successor": "y"}
    )
    assert response.status_code == 302
    new = response.headers["Location"].rsplit("/", 1)[1]
    assert new != old
    old_json = client.get(f"/api/v1/verify/{old}").get_json()
    assert old_json["status"] == "superseded"
    assert old_json["superseded_by"] == {"code": new, "verify_url": f"http://wirlearn.test/v/{new}"}
    # The old page never puts the old name next to a link to the new one.
    assert old_json["certificate"]["holder_name"] is None
    new_json = client.get(f"/api/v1/verify/{new}").get_json()
    assert new_json["status"] == "valid" and new_json["certificate"]["holder_name"] == "Ayşe Yılmaz-Schneider"
    assert new_json["signature"]["valid"] is True
    page = client.get(f"/v/{old}").get_data(as_text=True)
    assert "Ersetzt durch" in page and f'href="/v/{new}"' in page
    assert "Ayşe Yılmaz" not in page
    with app.app_context():
        newer = services.certificate_by_code(new)
        assert newer.supersedes.code == old
        assert services.certificate_by_code(old).status == "superseded"
    # Only a valid certificate can be re-issued or revoked.
    assert client.post(f"/verwaltung/zertifikate/{old}/neu-ausstellen", data={"holder_name": "X"}).status_code == 422
    assert "ersetzt" in client.get(f"/verwaltung/zertifikate/{old}").get_data(as_text=True)
    assert audit_actions(app) == ["certificate.issued", "certificate.reissued"]


def test_reissue_by_default_says_superseded_without_name_or_link(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    old = issue(app, programme["main"], coordinator)
    login(client, admin)
    response = client.post(f"/verwaltung/zertifikate/{old}/neu-ausstellen", data={"holder_name": "Ayşe Schneider"})
    new = response.headers["Location"].rsplit("/", 1)[1]
    old_json = client.get(f"/api/v1/verify/{old}").get_json()
    assert old_json["status"] == "superseded" and "superseded_by" not in old_json
    assert old_json["certificate"]["holder_name"] is None
    page = client.get(f"/v/{old}").get_data(as_text=True)
    assert "Ersetzt" in page and new not in page and codes.grouped(new) not in page
    assert "Ayşe" not in page


# -- ZIP, CLI, keys ----------------------------------------------------------------------------


def test_zip_of_all_pdfs_of_a_series(app, client, login, admin, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    codes = [issue(app, series, coordinator), issue(app, series, other_coordinator)]
    login(client, admin)
    response = client.get(f"/verwaltung/reihen/{series.id}/zertifikate.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert names == sorted([f"zertifikat-ayse-yilmaz-{codes[0][:8]}.pdf", f"zertifikat-dorde-petrovic-{codes[1][:8]}.pdf"])
    assert all(archive.read(name).startswith(b"%PDF-") for name in names)
    assert archive.testzip() is None


def test_cli_issues_a_series_with_a_progress_bar(app, runner, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    result = runner.invoke(args=["issue-certificates", "--series", str(series.id)])
    assert result.exit_code == 0, result.output
    assert "2 Zertifikat(e) auszustellen" in result.output
    assert "Ausstellen" in result.output and "Ausgestellt: 2." in result.output
    assert certificate_count(app) == 2
    again = runner.invoke(args=["issue-certificates", "--series", str(series.id)])
    assert again.exit_code == 0 and "Niemand wartet" in again.output
    assert runner.invoke(args=["issue-certificates", "--series", "999999"]).exit_code != 0


@pytest.fixture
def fresh_key_dir(tmp_path):
    return tmp_path / "keys"


def test_keys_generate_and_rotate(app, client, runner, fresh_key_dir, programme, coordinator):
    app.config["SIGNING_KEY_DIR"] = str(fresh_key_dir)
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 0, result.output
    key_file = fresh_key_dir / "signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh_key_dir.stat().st_mode) == 0o700
    first = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(first) == 1
    assert runner.invoke(args=["keys", "generate"]).output.startswith("Vorhanden")

    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(jwks) == 2 and jwks[0]["kid"] == first[0]["kid"]
    for key in jwks:
        assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}  # never d, p, q, dp, dq, qi
        assert key["alg"] == "RS256" and len(jwt.utils.base64url_decode(key["n"])) * 8 == 3072
    with app.app_context():
        retired = db.session.get(SigningKey, first[0]["kid"])
        assert retired.retired_at is not None
        assert db.session.scalar(select(func.count()).select_from(SigningKey).where(SigningKey.retired_at.is_(None))) == 1
    # The old certificate still verifies with the retired key; new ones use the new key.
    assert client.get(f"/api/v1/verify/{code}").get_json()["signature"] == {
        "valid": True,
        "kid": first[0]["kid"],
        "algorithm": "RS256",
    }
    listing = runner.invoke(args=["keys", "list"]).output
    assert "zurückgezogen" in listing and "aktiv" in listing


def test_key_is_created_on_first_use_and_never_stored_in_the_database(app, fresh_key_dir, programme, coordinator):
    app.config["SIGNING_KEY_DIR"] = str(fresh_key_dir)
    make_eligible(app, programme["main"], coordinator)
    assert not fresh_key_dir.exists()
    issue(app, programme["main"], coordinator)
    assert (fresh_key_dir / "signing-key.pem").exists()
    with app.app_context():
        stored = json.dumps([row.public_jwk for row in db.session.scalars(select(SigningKey))])
    assert '"d"' not in stored and "PRIVATE" not in stored


def test_signing_key_from_the_environment(app, programme, coordinator, client):
    from cryptography.hazmat.primitives import serialization

    from wirlearn.certificates import keys

    private = keys.generate_private_key()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    app.config["SIGNING_KEY_PEM"] = pem
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    assert client.get(f"/api/v1/verify/{code}").get_json()["signature"]["kid"] == keys.public_jwk(private.public_key())["kid"]


def test_too_small_key_is_refused(app, tmp_path, programme, coordinator):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    folder = tmp_path / "small"
    folder.mkdir()
    path = folder / "signing-key.pem"
    path.write_bytes(
        small.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(path, 0o600)
    app.config["SIGNING_KEY_DIR"] = str(folder)
    make_eligible(app, programme["main"], coordinator)
    with app.app_context(), pytest.raises(Exception, match="mindestens 3072 Bit"):
        services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
    assert certificate_count(app) == 0


# -- automatic issuing -------------------------------------------------------------------------


@pytest.mark.parametrize("auto", [True, False])
def test_automatic_issuing_when_the_last_assessment_makes_someone_eligible(app, programme, trainer, coordinator, auto):
    series = programme["main"]
    with app.app_context():
        db.session.execute(update(Series).where(Series.id == series.id).values(auto_issue=auto))
        db.session.commit()
    make_eligible(app, series, coordinator, skip_module=1)
    with app.app_context():
        save_assessments(series.module_ids[1], {coordinator.id: AssessmentEntry(points=90)}, actor_id=trainer.id)
        db.session.commit()
    assert certificate_count(app) == (1 if auto else 0)
    if auto:
        assert audit_actions(app) == ["certificate.issued"]
        with app.app_context():
            assert (
                db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "certificate.issued"))["automatic"] is True
            )


def test_automatic_issuing_failure_does_not_lose_the_trainers_save(app, programme, trainer, coordinator, monkeypatch):
    from wirlearn.assessments.models import Assessment

    series = programme["main"]
    with app.app_context():
        db.session.execute(update(Series).where(Series.id == series.id).values(auto_issue=True))
        db.session.commit()
    make_eligible(app, series, coordinator, skip_module=1)
    monkeypatch.setattr(pdf, "render", lambda *_a, **_k: (_ for _ in ()).throw(RuntimeError("font missing")))
    with app.app_context():
        save_assessments(series.module_ids[1], {coordinator.id: AssessmentEntry(points=90)}, actor_id=trainer.id)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2
    assert certificate_count(app) == 0 and audit_actions(app) == []


# -- the offline check in docs/ ----------------------------------------------------------------


def _run_script(*args) -> subprocess.CompletedProcess:
    script = ROOT / "docs" / "verify_credential.py"
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True, check=False)


def test_offline_script_verifies_a_downloaded_credential_against_the_jwks(app, client, admin, programme, coordinator, tmp_path):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    headers = token_for(client, admin)
    credential = tmp_path / "zertifikat.jwt"
    credential.write_bytes(client.get(f"/api/v1/certificates/{code}/credential", headers=headers).data)
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    status_url = json.loads(jwt.utils.base64url_decode(credential.read_text().split(".")[1]))["credentialStatus"][
        "statusListCredential"
    ]
    status_list = tmp_path / "statusliste.jwt"
    status_list.write_bytes(client.get(status_url.removeprefix("http://wirlearn.test")).data)
    result = _run_script(credential, jwks, "--status", status_list)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Die Signatur ist gültig." in result.stdout and "Ayşe Yılmaz" in result.stdout
    assert "Nicht widerrufen" in result.stdout

    # Revoked: the saved list from after the revocation says so, offline, with its own exit code.
    client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Irrtum"}, headers=headers)
    status_list.write_bytes(client.get(status_url.removeprefix("http://wirlearn.test")).data)
    result = _run_script(credential, jwks, "--status", status_list)
    assert result.returncode == 3 and "WIDERRUFEN" in result.stdout, result.stdout
    # Without the list the script says revocation is unknown... it does not pretend.
    result = _run_script(credential, jwks, "--no-status")
    assert result.returncode == 0 and "Nicht widerrufen" not in result.stdout

    # A list whose signature was tampered with (bit flipped back) is refused.
    head, body, signature = status_list.read_text().split(".")
    listed = json.loads(jwt.utils.base64url_decode(body))
    from wirlearn.status import bitstring

    listed["credentialSubject"]["encodedList"] = bitstring.encode(bytes(16384))
    status_list.write_text(f"{head}.{jwt.utils.base64url_encode(json.dumps(listed).encode()).decode()}.{signature}")
    result = _run_script(credential, jwks, "--status", status_list)
    assert result.returncode == 1 and "Statusliste ist ungültig" in result.stdout, result.stdout

    head, body, signature = credential.read_text().split(".")
    claims = json.loads(jwt.utils.base64url_decode(body))
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    credential.write_text(f"{head}.{forged}.{signature}")
    result = _run_script(credential, jwks, "--no-status")
    assert result.returncode == 1 and "Signatur ist ungültig" in result.stdout


def test_batch_page_stops_in_time_and_offers_to_continue(app, client, login, admin, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    app.config["CERTIFICATE_BATCH_SECONDS"] = 0  # every certificate after the first is "too late"
    login(client, admin)
    page = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle").get_data(as_text=True)
    assert "Fertig: 1 ausgestellt, 0 nicht ausgestellt." in page
    assert "1 Zertifikat ist noch offen" in page and "Weiter ausstellen" in page
    assert certificate_count(app) == 1
    page = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle").get_data(as_text=True)
    assert "Fertig: 1 ausgestellt, 0 nicht ausgestellt." in page and "Weiter ausstellen" not in page
    assert certificate_count(app) == 2


def test_demo_programme_issues_everyone_eligible_in_one_step(app, client, login, runner):
    from wirlearn.auth.models import User
    from wirlearn.demo.seed import seed_demo
    from wirlearn.progress.services import progress_for_series

    with app.app_context():
        seed_demo()
        db.session.commit()
        series_id = db.session.scalar(select(Series.id))
        eligible = sum(1 for progress in progress_for_series(series_id) if progress.eligible)
        admin = db.session.scalar(select(User).where(User.email == "admin@wir-hessen.example"))
        admin_ref = type("Ref", (), {"email": admin.email, "password": "wirlearn-demo"})
    assert eligible > 0
    login(client, admin_ref)
    page = client.post(f"/verwaltung/reihen/{series_id}/zertifikate/alle").get_data(as_text=True)
    assert f"Fertig: {eligible} ausgestellt, 0 nicht ausgestellt." in page
    assert certificate_count(app) == eligible
    with app.app_context():
        for certificate in db.session.scalars(select(Certificate)):
            assert client.get(f"/api/v1/verify/{certificate.code}").get_json()["signature"]["valid"] is True


def test_certificate_card_links_depend_on_who_looks(app, client, login, admin, programme, trainer, coordinator):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    enrollment = enrollment_id(app, programme["main"], coordinator)
    login(client, coordinator)
    dashboard = client.get("/mein-fortschritt").get_data(as_text=True)
    assert f"/api/v1/certificates/{code}/pdf" in dashboard and f"/api/v1/certificates/{code}/credential" in dashboard
    assert f"http://wirlearn.test/v/{code}" in dashboard
    client.post("/abmelden")
    login(client, trainer)
    page = client.get(f"/programm/teilnahmen/{enrollment}").get_data(as_text=True)
    assert f"/v/{code}" in page and "/api/v1/certificates/" not in page and "Zertifikat verwalten" not in page
    client.post("/abmelden")
    login(client, admin)
    page = client.get(f"/programm/teilnahmen/{enrollment}").get_data(as_text=True)
    assert f"/verwaltung/zertifikate/{code}" in page


@pytest.mark.parametrize(("chunk", "group"), [(1, 25), (200, 25), (200, 1)])
def test_batch_failure_of_one_leaves_the_others_issued_and_nothing_half_written(
    app, programme, coordinator, other_coordinator, monkeypatch, chunk, group
):
    """Across chunk boundaries and within one group's transaction: the progress is loaded per
    chunk, each certificate has its own savepoint, and eligibility is decided when issuing, not
    when the list was made."""
    from wirlearn.certificates import batch
    from wirlearn.programme.models import Enrollment

    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    monkeypatch.setattr(batch, "CHUNK", chunk)
    monkeypatch.setattr(batch, "GROUP", group)
    real_render = pdf.render

    def render_fails_for_ayse(snapshot, *args, **kwargs):
        if snapshot["holder_name"] == "Ayşe Yılmaz":
            raise OSError("disk full while writing the PDF")
        return real_render(snapshot, *args, **kwargs)

    monkeypatch.setattr(pdf, "render", render_fails_for_ayse)
    with app.app_context():
        todo = batch.candidates(series.id)
        assert [candidate.name for candidate in todo] == ["Ayşe Yılmaz", "Đorđe Petrović"]
        assert all(candidate.progress is None for candidate in todo)  # ids and names only
        steps = list(batch.issue_all(series.id, issued_by_id=None, selected=todo))
    assert [(step.number, step.total, step.name, step.ok) for step in steps] == [
        (1, 2, "Ayşe Yılmaz", False),
        (2, 2, "Đorđe Petrović", True),
    ]
    assert certificate_count(app) == 1 and audit_actions(app) == ["certificate.issued"]
    with app.app_context():
        issued = db.session.scalar(select(Certificate))
        assert issued.snapshot["holder_name"] == "Đorđe Petrović" and issued.code == steps[1].code

    # Ayşe's turn again, but she withdrew after the list was made: refused at issuing time.
    monkeypatch.undo()
    with app.app_context():
        todo = batch.candidates(series.id)
        assert [candidate.name for candidate in todo] == ["Ayşe Yılmaz"]
        db.session.execute(
            update(Enrollment).where(Enrollment.id == enrollment_id(app, series, coordinator)).values(status="withdrawn")
        )
        db.session.commit()
        steps = list(batch.issue_all(series.id, issued_by_id=None, selected=todo))
    assert [step.ok for step in steps] == [False]
    assert certificate_count(app) == 1 and audit_actions(app) == ["certificate.issued"]


def test_after_rotation_the_cached_key_is_not_used_and_new_certificates_verify(
    app, client, runner, fresh_key_dir, programme, coordinator, other_coordinator
):
    app.config["SIGNING_KEY_DIR"] = str(fresh_key_dir)
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    first = issue(app, series, coordinator)  # loads and caches the first key
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    second = issue(app, series, other_coordinator)
    with app.app_context():
        old, new = (services.certificate_by_code(code) for code in (first, second))
        assert old.kid != new.kid
        assert db.session.get(SigningKey, new.kid).retired_at is None
        credentials = [old.credential, new.credential]
        assert services.pdf_bytes(new).startswith(b"%PDF")
    for credential, code in zip(credentials, (first, second), strict=True):
        assert independent_check(client, credential)["jti"].endswith(f"/v/{code}")
    assert client.get(f"/api/v1/verify/{second}").get_json()["signature"]["valid"] is True


def test_batch_group_is_one_transaction_and_one_change(app, programme, coordinator, other_coordinator):
    """Two certificates in one group: one COMMIT, so the change counter moves once (a savepoint
    released is not a commit, and must not take the counter's row lock early)."""
    from wirlearn.certificates import batch
    from wirlearn.core.changes import current_version

    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    with app.app_context():
        before = current_version()
        db.session.rollback()
        steps = list(batch.issue_all(series.id, issued_by_id=None))
        assert [step.ok for step in steps] == [True, True]
        assert current_version() == before + 1
    assert certificate_count(app) == 2 and audit_actions(app) == ["certificate.issued", "certificate.issued"]


def test_a_batch_with_a_retired_signing_key_issues_nothing_and_says_why_for_each(app, programme, coordinator, other_coordinator):
    """The key is looked up once per group of the batch; when the configured key has been
    retired (another key registered since), every certificate of the group reports the key
    message, nothing is written, and the batch does not break off with an error page."""
    from wirlearn.certificates import batch, keys

    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    with app.app_context():
        configured = keys.signing_key()
        db.session.commit()
        db.session.execute(update(SigningKey).where(SigningKey.kid == configured.kid).values(retired_at=utcnow()))
        db.session.commit()
        steps = list(batch.issue_all(series.id, issued_by_id=None))
    assert [step.ok for step in steps] == [False, False]
    assert all("zurückgezogen" in step.message and configured.kid in step.message for step in steps)
    assert certificate_count(app) == 0 and audit_actions(app) == []
