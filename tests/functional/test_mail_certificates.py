"""Certificate delivery by e-mail through a real SMTP server: the PDF attached is the
certificate's own, the credential is the stored one, LinkedIn's form comes filled in; revocation
and re-issue tell the holder too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixture
from tests.mail_support import attachments, drain, mail_settings, outbox, parts, subject
from tests.support import bearer
from wirlearn.certificates import services
from wirlearn.certificates.models import Certificate
from wirlearn.extensions import db


@pytest.fixture
def app_settings(smtp, signing_key_dir):  # noqa: F811 - the fixture of the same name is this one's input
    return mail_settings(smtp) | {"SIGNING_KEY_DIR": str(signing_key_dir)}


def test_certificate_issued_through_the_api_arrives_with_the_identical_pdf(app, programme, admin, coordinator, smtp):
    main = programme["main"]
    make_eligible(app, main, coordinator)
    client = app.test_client()
    response = client.post(
        "/api/v1/certificates", json={"user_id": coordinator.id, "series_id": main.id}, headers=bearer(client, admin)
    )
    assert response.status_code == 201
    code = response.get_json()["code"]
    assert drain(app).sent == 1

    [message] = smtp.messages_to(coordinator.email)
    assert subject(message) == "Ihr Zertifikat: Zertifikat"
    assert message["To"] == f"Ayşe Yılmaz <{coordinator.email}>"
    text, html = parts(message)
    holder = bearer(client, coordinator)
    pdf = client.get(f"/api/v1/certificates/{code}/pdf", headers=holder)
    credential = client.get(f"/api/v1/certificates/{code}/credential", headers=holder)
    files = attachments(message)
    [pdf_name] = [name for name in files if name.endswith(".pdf")]
    [jwt_name] = [name for name in files if name.endswith(".jwt")]
    assert files[pdf_name] == ("application/pdf", pdf.data)
    assert files[jwt_name] == ("application/jwt", credential.data)
    with app.app_context():
        certificate = services.certificate_by_code(code)
        verify_url = certificate.snapshot["verify_url"]
        assert files[jwt_name][1].decode() == certificate.credential
    assert verify_url in text and verify_url in html
    assert "herzlichen Glückwunsch" in text

    linkedin = next(part for part in text.split() if part.startswith("https://www.linkedin.com/profile/add?"))
    query = parse_qs(urlsplit(linkedin).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Zertifikat"]
    assert query["organizationName"] == ["Ministerium"]
    assert query["certUrl"] == [verify_url]
    assert query["certId"][0].replace("-", "") == code
    assert "issueYear" in query and "issueMonth" in query
    assert "expirationYear" not in query  # this series sets no validity


def test_linkedin_link_carries_the_expiry_when_there_is_one(app, factory, coordinator, trainer):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,), validity_months=24)
    make_eligible(app, series, coordinator)
    with app.app_context():
        issued = services.issue_certificate(enrollment_id(app, series, coordinator))
        db.session.commit()
        from wirlearn.mail.certificates import linkedin_url

        query = parse_qs(urlsplit(linkedin_url(db.session.get(Certificate, issued.certificate_id))).query)
    assert "expirationYear" in query and "expirationMonth" in query


def test_revoke_and_reissue_tell_the_holder(app, client, login, admin, programme, coordinator, smtp):
    main = programme["main"]
    make_eligible(app, main, coordinator)
    with app.app_context():
        first = services.issue_certificate(enrollment_id(app, main, coordinator))
        db.session.commit()
        second = services.reissue_certificate(first.code, issued_by_id=admin.id, holder_name="Ayşe Yılmaz-Kaya")
        db.session.commit()
        services.revoke_certificate(second.code, "Prüfungsleistung nicht anerkannt", revoked_by_id=admin.id)
        db.session.commit()
    assert [m.kind for m in outbox(app)] == ["certificate_issued", "certificate_reissued", "certificate_revoked"]
    result = drain(app)
    # The first certificate was superseded before its mail went out, and the re-issued one was
    # revoked: only the revocation still has something true to say.
    assert (result.sent, result.cancelled) == (1, 2)
    [message] = smtp.messages_to(coordinator.email)
    assert subject(message) == "Ihr Zertifikat wurde widerrufen: Zertifikat"
    text, _html = parts(message)
    assert "Prüfungsleistung nicht anerkannt" in text


def test_reissue_mail_says_so_and_carries_the_new_pdf(app, admin, programme, coordinator, smtp):
    main = programme["main"]
    make_eligible(app, main, coordinator)
    with app.app_context():
        first = services.issue_certificate(enrollment_id(app, main, coordinator))
        db.session.commit()
    drain(app)
    with app.app_context():
        second = services.reissue_certificate(first.code, issued_by_id=admin.id, holder_name="Ayşe Kaya")
        db.session.commit()
        new_pdf = services.pdf_bytes(services.certificate_by_code(second.code))
    drain(app)
    issued, reissued = smtp.messages_to(coordinator.email)
    assert subject(reissued) == "Ihr Zertifikat wurde neu ausgestellt: Zertifikat"
    assert "neu ausgestellt" in parts(reissued)[0]
    assert new_pdf in [content for _type, content in attachments(reissued).values()]


def test_batch_issuing_queues_one_mail_per_certificate_and_a_rollback_none(
    app, client, login, admin, programme, coordinator, other_coordinator
):
    main = programme["main"]
    make_eligible(app, main, coordinator)
    make_eligible(app, main, other_coordinator)
    with app.app_context():
        services.issue_certificate(enrollment_id(app, main, coordinator))
        db.session.rollback()  # a change that rolled back sends nothing
    assert outbox(app) == []
    login(client, admin)
    response = client.post(f"/verwaltung/reihen/{main.id}/zertifikate/alle")
    response.get_data()
    assert sorted(m.to_address for m in outbox(app, kind="certificate_issued")) == sorted(
        [coordinator.email, other_coordinator.email]
    )
