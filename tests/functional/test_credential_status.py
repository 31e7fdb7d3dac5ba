"""Revocation inside the credential (W3C Bitstring Status List v1.0), ids that resolve, OB 3.0
details (award date through re-issue, hashed e-mail identity), one verdict on every surface."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, update

from tests.certificate_support import app_settings, enrollment_id, issue, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import ids, services
from wirlearn.certificates.models import Certificate
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.status import bitstring
from wirlearn.status.models import StatusList

BASE = "http://wirlearn.test"


@pytest.fixture
def code(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    return issue(app, programme["main"], coordinator)


def claims_of(app, code: str) -> dict:
    with app.app_context():
        return jwt.decode(services.certificate_by_code(code).credential, options={"verify_signature": False})


def local(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return url.removeprefix(BASE)


def fetch_list(client, url: str) -> tuple[dict, object]:
    """The status list credential, verified with PyJWT against the JWK its kid URL serves."""
    response = client.get(local(url))
    assert response.status_code == 200
    token = response.get_data(as_text=True)
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = client.get(local(kid)).get_json()
    listed = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], options={"require": ["iss", "nbf"]})
    return listed, response


def bit_for(client, claims: dict) -> int:
    entry = claims["credentialStatus"]
    listed, _response = fetch_list(client, entry["statusListCredential"])
    return bitstring.bit(bitstring.decode(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def test_credential_carries_a_status_entry_and_the_list_is_signed_and_public(app, client, code):
    claims = claims_of(app, code)
    entry = claims["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"].startswith(f"{BASE}/ob/status/")
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    index = int(entry["statusListIndex"])
    with app.app_context():
        certificate = services.certificate_by_code(code)
        assert certificate.status_index == index and certificate.status_list_id is not None

    listed, response = fetch_list(client, entry["statusListCredential"])
    assert response.mimetype == "application/vc+jwt"
    assert "Set-Cookie" not in response.headers
    ttl = listed["credentialSubject"]["ttl"]
    assert response.headers["Cache-Control"] == f"public, max-age={ttl // 1000}"
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == entry["statusListCredential"]
    assert listed["issuer"] == claims["issuer"]["id"]  # the same issuer as the credential
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    bits = bitstring.decode(subject["encodedList"])
    assert len(bits) * 8 >= 131_072
    assert not any(bits)  # nothing revoked yet


def test_revoking_flips_the_bit_at_once_and_superseding_too(app, client, code, admin, programme, other_coordinator):
    claims = claims_of(app, code)
    assert bit_for(client, claims) == 0  # the list is now cached for this change count
    response = client.post("/api/v1/token", json={"email": admin.email, "password": admin.password})
    headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Irrtum"}, headers=headers).status_code == 200
    assert bit_for(client, claims) == 1

    # A re-issue: the old one is revoked in the list, the new one is not.
    make_eligible(app, programme["main"], other_coordinator)
    other = issue(app, programme["main"], other_coordinator)
    with app.app_context():
        new = services.reissue_certificate(other, issued_by_id=admin.id, holder_name="Đorđe P.").code
        db.session.commit()
    assert bit_for(client, claims_of(app, other)) == 1
    assert bit_for(client, claims_of(app, new)) == 0
    # The verification page still tells the two apart.
    assert client.get(f"/api/v1/verify/{other}").get_json()["status"] == "superseded"


def test_indices_are_random_unique_and_a_full_list_opens_a_new_one(app, programme, coordinator, other_coordinator):
    make_eligible(app, programme["main"], coordinator)
    make_eligible(app, programme["main"], other_coordinator)
    first = issue(app, programme["main"], coordinator)
    with app.app_context():
        certificate = services.certificate_by_code(first)
        # Pretend the list is full: the next certificate must not reuse any index of it.
        db.session.execute(update(StatusList).where(StatusList.id == certificate.status_list_id).values(size=8, allocated=8))
        db.session.commit()
        first_list = certificate.status_list_id
    second = issue(app, programme["main"], other_coordinator)
    with app.app_context():
        certificate = services.certificate_by_code(second)
        assert certificate.status_list_id != first_list
        assert db.session.get(StatusList, certificate.status_list_id).size == 131_072
        indices = db.session.scalars(select(Certificate.status_index)).all()
        assert len(set(indices)) == len(indices)


def test_the_spec_example_list_decodes_to_131072_zero_bits():
    # The example encodedList of W3C Bitstring Status List v1.0, section "BitstringStatusListCredential".
    example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    bits = bitstring.decode(example)
    assert len(bits) * 8 == 131_072 and not any(bits)
    ours = bitstring.encode(bitstring.bits_with(131_072, [0, 7, 131_071]))
    decoded = bitstring.decode(ours)
    assert [bitstring.bit(decoded, i) for i in (0, 1, 7, 8, 131_070, 131_071)] == [1, 0, 1, 0, 0, 1]
    assert decoded[0] == 0b1000_0001  # index 0 is the leftmost bit
    assert gzip.decompress(__import__("base64").urlsafe_b64decode(ours[1:] + "==")) == decoded


def test_unknown_ids_answer_404_without_detail(client, code):
    for path in ("/ob/status/999", "/ob/keys/nope", "/ob/issuers/999", "/ob/achievements/999", "/ob/images/999", "/ob/status/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.data == b"" or path.endswith("/x"), path
        assert "Set-Cookie" not in response.headers


def test_issuer_and_achievement_ids_resolve_to_ob3_json_and_a_page(app, client, code, programme):
    claims = claims_of(app, code)
    issuer_id = claims["issuer"]["id"]
    assert issuer_id == f"{BASE}/ob/issuers/{programme['main'].id}"
    response = client.get(local(issuer_id), headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    profile = response.get_json()
    assert profile["id"] == issuer_id and profile["type"] == ["Profile"]
    assert profile["name"] == claims["issuer"]["name"] and profile["url"] == BASE
    assert "Set-Cookie" not in response.headers
    page = client.get(local(issuer_id), headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html" and profile["name"] in page.get_data(as_text=True)
    assert client.get(local(issuer_id)).mimetype == "text/html"  # a browser without Accept gets the page

    achievement_id = claims["credentialSubject"]["achievement"]["id"]
    assert achievement_id == f"{BASE}/ob/achievements/{programme['main'].id}"
    achievement = client.get(local(achievement_id), headers={"Accept": "application/json"}).get_json()
    assert achievement["id"] == achievement_id and achievement["type"] == ["Achievement"]
    assert achievement["name"] == claims["credentialSubject"]["achievement"]["name"]
    # The provider (training institute) is the achievement's creator.
    with app.app_context():
        provider = services.certificate_by_code(code).snapshot["provider"]
    assert achievement["creator"]["name"] == provider


def test_subject_has_a_salted_hashed_email_identity(app, code, coordinator):
    claims = claims_of(app, code)
    identities = {item["identityType"]: item for item in claims["credentialSubject"]["identifier"]}
    email = identities["emailAddress"]
    assert email["hashed"] is True and email["type"] == "IdentityObject"
    expected = hashlib.sha256((coordinator.email + email["salt"]).encode()).hexdigest()
    assert email["identityHash"] == f"sha256${expected}"
    assert coordinator.email not in json.dumps(claims)
    assert identities["name"]["identityHash"] == "Ayşe Yılmaz"


def test_reissue_keeps_the_award_date(app, code, admin, monkeypatch):
    first = claims_of(app, code)
    assert first["awardedDate"] == first["validFrom"]
    later = utcnow().replace(microsecond=0) + timedelta(days=40)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    with app.app_context():
        second = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir").code
        db.session.commit()
        third = services.reissue_certificate(second, issued_by_id=admin.id, holder_name="Ayşe Demir-Yılmaz").code
        db.session.commit()
    claims = claims_of(app, third)
    assert claims["awardedDate"] == first["awardedDate"]
    assert claims["validFrom"] != first["validFrom"]


def test_api_and_page_agree_on_an_altered_snapshot(app, client, code):
    with app.app_context():
        certificate = services.certificate_by_code(code)
        changed = dict(certificate.snapshot) | {"series_title": "Etwas anderes"}
        db.session.execute(update(Certificate).where(Certificate.code == code).values(snapshot=changed))
        db.session.commit()
    body = client.get(f"/api/v1/verify/{code}").get_json()
    assert body["status"] == "invalid" and body["state"] == "valid"
    assert "Nicht bestätigt" in client.get(f"/v/{code}").get_data(as_text=True)


def test_header_kid_must_name_the_registered_key(app, client, code):
    """A credential whose header names another key than the one the certificate was registered
    with is refused, even if that key exists."""
    from wirlearn.certificates import keys, signing
    from wirlearn.verify import services as verify_services

    with app.app_context():
        certificate = services.certificate_by_code(code)
        claims = signing.credential_claims(certificate.snapshot)
        key = keys.signing_key()
        # The same key's thumbprint under another host, and a made-up kid.
        for kid in (f"https://elsewhere.example/ob/keys/{key.kid}", "other-kid"):
            forged = signing.sign(claims, key, kid=kid)
            db.session.execute(update(Certificate).where(Certificate.code == code).values(credential=forged))
            db.session.commit()
            verify_services.clear_cache()
            body = client.get(f"/api/v1/verify/{code}").get_json()
            assert body["status"] == "invalid" and body["signature"]["reason"] == "unknown_key", kid
        # The bare thumbprint (credentials from before kid URLs) still verifies.
        db.session.execute(update(Certificate).where(Certificate.code == code).values(credential=signing.sign(claims, key)))
        db.session.commit()
        verify_services.clear_cache()
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "valid"


def test_resign_gives_old_certificates_an_entry_with_the_same_code_and_date(app, runner, code):
    with app.app_context():
        certificate = services.certificate_by_code(code)
        old = {k: v for k, v in certificate.snapshot.items() if k not in ("status_list_url", "status_index", "awarded_at")}
        from wirlearn.certificates import keys, signing

        token = signing.sign(signing.credential_claims(old), keys.signing_key())
        db.session.execute(
            update(Certificate)
            .where(Certificate.code == code)
            .values(snapshot=old, credential=token, status_list_id=None, status_index=None)
        )
        db.session.commit()
    assert "credentialStatus" not in claims_of(app, code)
    result = runner.invoke(args=["certificates", "re-sign"])
    assert result.exit_code == 0 and "Neu signiert: 1" in result.output, result.output
    claims = claims_of(app, code)
    assert claims["credentialStatus"]["statusListCredential"].startswith(f"{BASE}/ob/status/")
    assert claims["awardedDate"] == claims["validFrom"] == old["issued_at"]
    assert "Neu signiert: 0" in runner.invoke(args=["certificates", "re-sign"]).output


def test_ids_module_builds_the_documented_shapes():
    assert ids.key_url("abc", "https://x.example/") == "https://x.example/ob/keys/abc"
    assert ids.thumbprint_of_kid("https://x.example/ob/keys/abc") == "abc"
    assert ids.thumbprint_of_kid("abc") == "abc"
