"""The signed credential as an outside verifier reads it: exactly the Open Badges 3.0 document
the certificate stands for (one issued now with ids that resolve, its award date, status entry
and hashed e-mail), times in UTC to the second, a minute of clock skew forgiven, and every token
that is not a plain RS256 JWT from a registered key refused with its reason."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import jwt
import pytest

from tests.unit.test_certificate_signing import KEY_A, A, b64, forge, key_for, rejected, snapshot
from wirlearn.certificates import signing

VERIFY_URL = "https://zertifikate.example.org/v/ABCDEFGHJKMNPQRSTUVWXYZ23456"


def test_the_credential_is_exactly_the_open_badge_a_verifier_reads():
    claims = signing.credential_claims(snapshot(issuer_name="", valid_until="2029-11-25T12:00:00Z"))
    provider = {
        "id": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "https://zertifikate.example.org/provider/imap-Institut")),
        "type": ["Profile"],
        "name": "imap-Institut",
    }
    assert claims == {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": VERIFY_URL,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Change-Manager/in in Willkommens- und Anerkennungskultur",
        # Without an issuer name the provider issues in its own name.
        "issuer": {"id": "https://zertifikate.example.org", "type": ["Profile"], "name": "imap-Institut"},
        "validFrom": "2026-11-25T12:00:00Z",
        "validUntil": "2029-11-25T12:00:00Z",
        "credentialSubject": {
            "id": "urn:uuid:4f1c2b9e-8a77-4d7e-9a51-0c5f3a6a2b11",
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Nguyễn Thị Hương"}
            ],
            "achievement": {
                "id": "urn:uuid:6a1f1e7c-3c56-5a0f-9a7e-0d7c5b8a1f00",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Change-Manager/in in Willkommens- und Anerkennungskultur",
                "description": "Change-Manager/in – Jahrgang 2026. Module: Grundlagen (16 UE); Praxis (8 UE). "
                "Insgesamt 24 Unterrichtseinheiten.",
                "criteria": {
                    "narrative": "Voraussetzungen: Anwesenheit bei mindestens 80 % aller Termine; alle Pflichtmodule bestanden."
                },
                "creator": provider,
                "inLanguage": "de",
            },
            "activityStartDate": "2026-03-12T00:00:00Z",
            "activityEndDate": "2026-11-20T00:00:00Z",
        },
        "evidence": [
            {"type": ["Evidence"], "name": "Grundlagen", "narrative": "16 Unterrichtseinheiten"},
            {"type": ["Evidence"], "name": "Praxis", "narrative": "8 Unterrichtseinheiten"},
        ],
        "iss": "https://zertifikate.example.org",
        "jti": VERIFY_URL,
        "nbf": int(datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()),
        "sub": "urn:uuid:4f1c2b9e-8a77-4d7e-9a51-0c5f3a6a2b11",
        "exp": int(datetime(2029, 11, 25, 12, tzinfo=UTC).timestamp()),
    }


def test_the_issuer_name_is_used_when_the_series_has_one():
    claims = signing.credential_claims(snapshot())
    assert claims["issuer"]["name"] == "Hessisches Ministerium für Soziales und Integration"
    assert claims["credentialSubject"]["achievement"]["creator"]["name"] == "imap-Institut"


def test_a_series_without_dates_has_no_activity_dates_and_no_end():
    subject = signing.credential_claims(snapshot(start_date=None, end_date=None))["credentialSubject"]
    assert "activityStartDate" not in subject and "activityEndDate" not in subject
    claims = signing.credential_claims(snapshot())
    assert "validUntil" not in claims and "exp" not in claims


def test_times_are_written_in_utc_to_the_second():
    assert signing.format_time(datetime(2026, 11, 25, 12, 0, 5, 999_999)) == "2026-11-25T12:00:05Z"
    berlin = timezone(timedelta(hours=1))
    assert signing.format_time(datetime(2026, 11, 25, 13, 0, 5, tzinfo=berlin)) == "2026-11-25T12:00:05Z"
    assert signing.parse_time("2026-11-25T12:00:05Z") == datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)


def at(seconds_from_now: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds_from_now)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_minute_of_clock_skew_is_forgiven_and_no_more():
    soon = signing.sign(signing.credential_claims(snapshot(issued_at=at(30))), A)
    assert signing.verify(soon, key_for(A)).kid == A.kid
    assert rejected(signing.sign(signing.credential_claims(snapshot(issued_at=at(120))), A)) == "claims"
    just_expired = signing.sign(signing.credential_claims(snapshot(issued_at=at(-86_400), valid_until=at(-30))), A)
    assert signing.verify(just_expired, key_for(A)).kid == A.kid
    expired = signing.sign(signing.credential_claims(snapshot(issued_at=at(-86_400), valid_until=at(-120))), A)
    assert rejected(expired) == "expired"


def token_of_length(length: int) -> str | None:
    """A genuine credential exactly ``length`` characters long (not every length can be made)."""
    base = len(signing.sign(signing.credential_claims(snapshot(criteria="")), A))
    for criteria_length in range((length - base) * 3 // 4 - 8, (length - base) * 3 // 4 + 8):
        token = signing.sign(signing.credential_claims(snapshot(criteria="x" * criteria_length)), A)
        if len(token) == length:
            return token
    return None


def test_tokens_up_to_100000_characters_are_read_and_longer_ones_are_malformed():
    at_limit = token_of_length(100_000)
    assert signing.verify(at_limit, key_for(A)).kid == A.kid
    assert rejected(token_of_length(100_002)) == "malformed"
    # No genuine credential is 100,001 characters long: one with two characters too many is.
    one_over = token_of_length(99_999) + "AA"
    assert len(one_over) == 100_001 and rejected(one_over) == "malformed"


def test_the_type_header_may_only_say_jwt_or_be_left_out():
    claims = signing.credential_claims(snapshot())
    without_typ = jwt.encode(claims, KEY_A, algorithm="RS256", headers={"kid": A.kid, "typ": None})
    assert "typ" not in jwt.get_unverified_header(without_typ)
    assert signing.verify(without_typ, key_for(A)).kid == A.kid
    for typ in ("at+jwt", "jwt", "JOSE"):
        assert rejected(jwt.encode(claims, KEY_A, algorithm="RS256", headers={"kid": A.kid, "typ": typ})) == "header", typ


@pytest.mark.parametrize("kid", ["", None, 7, [A.kid], {"kid": A.kid}])
def test_a_missing_or_odd_key_id_is_an_unknown_key(kid):
    header = {"alg": "RS256", "typ": "JWT"} | ({"kid": kid} if kid is not None else {})
    assert rejected(forge(header, signing.credential_claims(snapshot()), b"signature")) == "unknown_key"


def test_a_rejection_names_its_reason_and_detail():
    error = signing.CredentialRejected("header", "jku")
    assert (error.reason, str(error)) == ("header", "header: jku")
    assert str(signing.CredentialRejected("expired")) == "expired"


@pytest.mark.parametrize("header_json", [b"not json", b"[1, 2]", b'"RS256"'])
def test_a_header_that_is_not_a_json_object_is_malformed(header_json):
    token = f"{b64(header_json)}.{b64(b'{}')}.{b64(b'signature')}"
    assert rejected(token) == "malformed"


def test_a_genuinely_signed_payload_that_is_not_json_is_malformed():
    token = jwt.api_jws.encode(b"not json", KEY_A, algorithm="RS256", headers={"kid": A.kid, "typ": "JWT"})
    assert rejected(token) == "malformed"


def test_an_audience_claim_does_not_make_a_genuine_credential_fail():
    claims = signing.credential_claims(snapshot()) | {"aud": "https://verifier.example"}
    assert signing.verify(signing.sign(claims, A), key_for(A)).claims["aud"] == "https://verifier.example"


def test_parsed_times_are_utc():
    assert signing.parse_time("2026-11-25T12:00:05Z").tzinfo == UTC


def test_naive_times_count_as_utc_whatever_the_servers_time_zone(monkeypatch):
    import time as time_module

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time_module.tzset()
    try:
        assert signing.format_time(datetime(2026, 11, 25, 12, 0, 5)) == "2026-11-25T12:00:05Z"
        assert signing.format_time(datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)) == "2026-11-25T12:00:05Z"
        assert signing.parse_time("2026-11-25T12:00:05Z").hour == 12
    finally:
        monkeypatch.undo()
        time_module.tzset()


def version_2(**changes) -> dict:
    """A snapshot as issued now: ids that resolve, award date, status entry, hashed e-mail."""
    return (
        snapshot(
            version=2,
            issuer_id="https://zertifikate.example.org/ob/issuers/7",
            achievement_id="https://zertifikate.example.org/ob/achievements/7",
            awarded_at="2025-11-25T12:00:00Z",
            email_hash=signing.hash_email("huong@example.org", "5eed"),
            email_salt="5eed",
            status_list_url="https://zertifikate.example.org/ob/status/3",
            status_index=41,
        )
        | changes
    )


def test_a_credential_issued_now_names_ids_that_resolve_its_award_date_status_entry_and_hashed_email():
    claims = signing.credential_claims(version_2())
    # The issuer is its own resolvable profile; the site's address is its homepage.
    assert claims["issuer"] == {
        "id": "https://zertifikate.example.org/ob/issuers/7",
        "type": ["Profile"],
        "name": "Hessisches Ministerium für Soziales und Integration",
        "url": "https://zertifikate.example.org",
    }
    assert claims["iss"] == "https://zertifikate.example.org/ob/issuers/7"
    assert claims["credentialSubject"]["achievement"]["id"] == "https://zertifikate.example.org/ob/achievements/7"
    # The first issue's date, kept through re-issues; validFrom is this credential's own.
    assert (claims["awardedDate"], claims["validFrom"]) == ("2025-11-25T12:00:00Z", "2026-11-25T12:00:00Z")
    assert claims["credentialStatus"] == {
        "id": "https://zertifikate.example.org/ob/status/3#41",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "41",
        "statusListCredential": "https://zertifikate.example.org/ob/status/3",
    }
    assert claims["credentialSubject"]["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Nguyễn Thị Hương"},
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": "sha256$" + hashlib.sha256(b"huong@example.org5eed").hexdigest(),
            "salt": "5eed",
        },
    ]
    assert signing.verify(signing.sign(claims, A), key_for(A)).claims == claims


def test_a_credential_without_an_issuer_name_is_issued_by_the_provider_under_the_issuer_id():
    issuer = signing.credential_claims(version_2(issuer_name=""))["issuer"]
    assert (issuer["id"], issuer["name"]) == ("https://zertifikate.example.org/ob/issuers/7", "imap-Institut")


def test_the_email_hash_is_the_one_a_verifier_computes_from_the_address_in_any_case_and_the_salt():
    expected = "sha256$" + hashlib.sha256(b"huong@example.orgab12").hexdigest()
    assert signing.hash_email("huong@example.org", "ab12") == expected
    assert signing.hash_email("  Huong@Example.ORG ", "ab12") == expected
    assert signing.hash_email("huong@example.org", "cd34") != expected


def test_the_signed_header_names_the_key_by_its_url_when_given_and_by_its_thumbprint_otherwise():
    claims = signing.credential_claims(version_2())
    url = f"https://zertifikate.example.org/ob/keys/{A.kid}"
    assert jwt.get_unverified_header(signing.sign(claims, A, kid=url)) == {"alg": "RS256", "kid": url, "typ": "JWT"}
    assert jwt.get_unverified_header(signing.sign(claims, A))["kid"] == A.kid
