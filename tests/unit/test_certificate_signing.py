"""The signed credential: Open Badges 3.0 in VC-JWT form, and every forged token refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from wirlearn.certificates import keys, signing

KEY_A = keys.generate_private_key()
KEY_B = keys.generate_private_key()


def loaded(private_key) -> keys.LoadedKey:
    jwk = keys.public_jwk(private_key.public_key())
    return keys.LoadedKey(jwk["kid"], private_key, jwk, "test")


A, B = loaded(KEY_A), loaded(KEY_B)


def snapshot(**changes) -> dict:
    base = {
        "version": 1,
        "holder_name": "Nguyễn Thị Hương",
        "subject_id": "urn:uuid:4f1c2b9e-8a77-4d7e-9a51-0c5f3a6a2b11",
        "certificate_title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
        "series_title": "Change-Manager/in – Jahrgang 2026",
        "provider": "imap-Institut",
        "issuer_name": "Hessisches Ministerium für Soziales und Integration",
        "place": "Wiesbaden",
        "start_date": "2026-03-12",
        "end_date": "2026-11-20",
        "modules": [{"title": "Grundlagen", "teaching_units": 16}, {"title": "Praxis", "teaching_units": 8}],
        "teaching_units_total": 24,
        "criteria": "Voraussetzungen: Anwesenheit bei mindestens 80 % aller Termine; alle Pflichtmodule bestanden.",
        "issued_at": "2026-11-25T12:00:00Z",
        "valid_until": None,
        "issuer_url": "https://zertifikate.example.org",
        "verify_url": "https://zertifikate.example.org/v/ABCDEFGHJKMNPQRSTUVWXYZ23456",
        "achievement_id": "urn:uuid:6a1f1e7c-3c56-5a0f-9a7e-0d7c5b8a1f00",
    }
    return base | changes


def key_for(*known: keys.LoadedKey):
    table = {key.kid: key.private_key.public_key() for key in known}
    return table.get


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict, claims: dict, signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


def test_credential_is_an_open_badge_in_vc_jwt_form():
    claims = signing.credential_claims(snapshot(valid_until="2029-11-25T12:00:00Z"))
    assert claims["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["issuer"] == {
        "id": "https://zertifikate.example.org",
        "type": ["Profile"],
        "name": "Hessisches Ministerium für Soziales und Integration",
    }
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"] == "urn:uuid:4f1c2b9e-8a77-4d7e-9a51-0c5f3a6a2b11"
    assert subject["identifier"][0] == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Nguyễn Thị Hương",
    }
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Change-Manager/in in Willkommens- und Anerkennungskultur"
    assert achievement["criteria"]["narrative"].startswith("Voraussetzungen:")
    assert "Grundlagen (16 UE)" in achievement["description"]
    # The registered claims mirror the credential (OB 3.0 §8.2).
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"] == "https://zertifikate.example.org/v/ABCDEFGHJKMNPQRSTUVWXYZ23456"
    assert claims["sub"] == subject["id"]
    assert claims["validFrom"] == "2026-11-25T12:00:00Z"
    assert claims["nbf"] == int(datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp())
    assert claims["validUntil"] == "2029-11-25T12:00:00Z"
    assert claims["exp"] == int(datetime(2029, 11, 25, 12, tzinfo=UTC).timestamp())
    assert "exp" not in signing.credential_claims(snapshot())
    assert "iat" not in claims


def test_signed_token_has_only_alg_kid_typ_and_verifies():
    token = signing.sign(signing.credential_claims(snapshot()), A)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": A.kid, "typ": "JWT"}
    verified = signing.verify(token, key_for(A))
    assert verified.kid == A.kid
    assert verified.claims == signing.credential_claims(snapshot())
    assert A.private_key.key_size == 3072


def test_kid_is_the_rfc7638_thumbprint():
    jwk = A.public_jwk
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":")).encode()
    assert A.kid == b64(hashlib.sha256(canonical).digest())
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}


def rejected(token: str, *known: keys.LoadedKey, **options) -> str:
    with pytest.raises(signing.CredentialRejected) as caught:
        signing.verify(token, key_for(*known) if known else key_for(A), **options)
    return caught.value.reason


def test_alg_none_is_rejected():
    claims = signing.credential_claims(snapshot())
    assert rejected(forge({"alg": "none", "kid": A.kid, "typ": "JWT"}, claims)) == "algorithm"
    assert rejected(forge({"alg": "none", "kid": A.kid, "typ": "JWT"}, claims).rstrip(".") + ".") == "algorithm"


def test_hs256_signed_with_the_public_key_is_rejected():
    claims = signing.credential_claims(snapshot())
    public_pem = KEY_A.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "kid": A.kid, "typ": "JWT"}
    unsigned = forge(header, claims).rsplit(".", 1)[0]
    signature = hmac.new(public_pem, unsigned.encode(), hashlib.sha256).digest()
    assert rejected(f"{unsigned}.{b64(signature)}") == "algorithm"


def test_other_rsa_algorithms_are_rejected_even_with_the_right_key():
    token = jwt.encode(signing.credential_claims(snapshot()), KEY_A, algorithm="RS512", headers={"kid": A.kid})
    assert rejected(token) == "algorithm"


def test_wrong_key_is_rejected():
    # Signed by B but claiming to be A's.
    token = jwt.encode(signing.credential_claims(snapshot()), KEY_B, algorithm="RS256", headers={"kid": A.kid, "typ": "JWT"})
    assert rejected(token, A, B) == "signature"


def test_tampered_payload_is_rejected():
    token = signing.sign(signing.credential_claims(snapshot()), A)
    head, _body, signature = token.split(".")
    forged_claims = signing.credential_claims(snapshot(holder_name="Mallory Muster"))
    forged = f"{head}.{b64(json.dumps(forged_claims).encode())}.{signature}"
    assert rejected(forged) == "signature"


def test_unknown_kid_is_rejected():
    token = signing.sign(signing.credential_claims(snapshot()), B)
    assert rejected(token, A) == "unknown_key"
    no_kid = jwt.encode(signing.credential_claims(snapshot()), KEY_A, algorithm="RS256")
    assert rejected(no_kid) == "unknown_key"


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"crit": ["exp"]},
    ],
)
def test_headers_that_point_elsewhere_are_rejected(extra):
    token = jwt.encode(
        signing.credential_claims(snapshot()), KEY_A, algorithm="RS256", headers={"kid": A.kid, "typ": "JWT"} | extra
    )
    assert rejected(token) == "header"


def test_unencoded_payload_is_rejected():
    token = jwt.encode(
        signing.credential_claims(snapshot()), KEY_A, algorithm="RS256", headers={"kid": A.kid, "typ": "JWT", "b64": False}
    )
    # PyJWT cannot even decode a payload that is not base64url: the token is malformed.
    assert rejected(token) == "malformed"


def test_embedded_jwk_header_is_rejected():
    # The attacker signs with their own key and ships it in the header: never trusted.
    attacker_jwk = {name: B.public_jwk[name] for name in ("kty", "n", "e")}
    token = jwt.encode(
        signing.credential_claims(snapshot()), KEY_B, algorithm="RS256", headers={"kid": A.kid, "typ": "JWT", "jwk": attacker_jwk}
    )
    assert rejected(token, A) == "header"


def test_missing_required_claim_is_rejected():
    claims = signing.credential_claims(snapshot())
    del claims["sub"]
    assert rejected(signing.sign(claims, A)) == "claims"


def test_expired_credential_is_rejected_unless_expiry_is_checked_separately():
    past = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = signing.sign(signing.credential_claims(snapshot(issued_at=before, valid_until=past)), A)
    assert rejected(token) == "expired"
    assert signing.verify(token, key_for(A), check_expiry=False).kid == A.kid


def test_not_yet_valid_credential_is_rejected():
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = signing.sign(signing.credential_claims(snapshot(issued_at=future)), A)
    assert rejected(token) == "claims"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.%%%.abc", None, 42])
def test_garbage_is_rejected_as_malformed(token):
    assert rejected(token) == "malformed"
