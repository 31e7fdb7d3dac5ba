"""The certificate as an Open Badges 3.0 ``OpenBadgeCredential`` in VC-JWT form, signed RS256.

The JWT payload is the credential itself (W3C VC Data Model 2.0 with the OB 3.0 context) plus
the registered claims OB 3.0 maps onto it: ``iss`` = issuer.id, ``jti`` = id, ``nbf`` =
validFrom, ``sub`` = credentialSubject.id and ``exp`` = validUntil where set. The JOSE header
holds only ``alg``, ``kid`` and ``typ``; ``kid`` is the URL of the one public JWK
(``ids.key_url``), as OB 3.0 asks (credentials signed before carry the bare thumbprint and keep
verifying).

Snapshots of version 2 add what makes every id resolve: ``issuer_id`` and ``achievement_id``
(URLs), ``awarded_at`` (the first issue's date, kept through re-issues), the status-list entry
(``status_list_url``, ``status_index``) and the holder's e-mail as a salted SHA-256 hash
(``email_hash``, ``email_salt``). Version-1 snapshots give exactly the claims they were signed
with.

Everything in the credential is derived from the certificate's snapshot and code
(``credential_claims``), so checking a stored credential also proves that the snapshot the
pages show is the one that was signed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from wirlearn.certificates.keys import ALGORITHM, LoadedKey

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
REQUIRED_CLAIMS = ["iss", "jti", "nbf", "sub"]
LEEWAY_SECONDS = 60
# Three base64url segments (an empty signature is refused by the algorithm check).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def parse_time(value: str) -> datetime:
    """An ISO 8601 UTC timestamp from a snapshot ("2026-11-25T12:00:00Z") as aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(value: datetime) -> str:
    """Naive-UTC or aware datetime → "2026-11-25T12:00:00Z" (seconds precision)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _profile(profile_id: str, name: str, url: str | None = None) -> dict[str, Any]:
    profile = {"id": profile_id, "type": ["Profile"], "name": name}
    if url:
        profile["url"] = url
    return profile


def email_identity(email_hash: str, salt: str) -> dict[str, Any]:
    """OB 3.0 IdentityObject for an e-mail address hashed with a salt (identityHash "sha256$…")."""
    return {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": email_hash, "salt": salt}


def hash_email(email: str, salt: str) -> str:
    """OB 3.0's identity hash: "sha256$" + hex SHA-256 of the address followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def stable_urn(*parts: Any) -> str:
    """A urn:uuid that is the same every time for the same parts (UUID v5)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(part) for part in parts)))


def credential_claims(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The JWT claims set: the OpenBadgeCredential plus iss/jti/nbf/sub(/exp), from a snapshot."""
    s = snapshot
    issuer = _profile(
        s.get("issuer_id") or s["issuer_url"], s["issuer_name"] or s["provider"], s["issuer_url"] if s.get("issuer_id") else None
    )
    modules_text = "; ".join(f"{m['title']} ({m['teaching_units']} UE)" for m in s["modules"])
    achievement = {
        "id": s["achievement_id"],
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": s["certificate_title"],
        "description": f"{s['series_title']}. Module: {modules_text}. Insgesamt {s['teaching_units_total']} Unterrichtseinheiten.",
        "criteria": {"narrative": s["criteria"]},
        "creator": _profile(stable_urn(s["issuer_url"], "provider", s["provider"]), s["provider"]),
        "inLanguage": "de",
    }
    subject: dict[str, Any] = {
        "id": s["subject_id"],
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": s["holder_name"]}],
        "achievement": achievement,
    }
    if s.get("email_hash"):
        subject["identifier"].append(email_identity(s["email_hash"], s["email_salt"]))
    if s.get("start_date"):
        subject["activityStartDate"] = s["start_date"] + "T00:00:00Z"
    if s.get("end_date"):
        subject["activityEndDate"] = s["end_date"] + "T00:00:00Z"
    credential: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": s["verify_url"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": s["certificate_title"],
        "issuer": issuer,
        "validFrom": s["issued_at"],
        "credentialSubject": subject,
        "evidence": [
            {"type": ["Evidence"], "name": m["title"], "narrative": f"{m['teaching_units']} Unterrichtseinheiten"}
            for m in s["modules"]
        ],
    }
    if s.get("valid_until"):
        credential["validUntil"] = s["valid_until"]
    if s.get("awarded_at"):
        credential["awardedDate"] = s["awarded_at"]
    if s.get("status_list_url"):
        credential["credentialStatus"] = status_entry(s["status_list_url"], s["status_index"])
    claims = credential | {
        "iss": issuer["id"],
        "jti": credential["id"],
        "nbf": int(parse_time(s["issued_at"]).timestamp()),
        "sub": subject["id"],
    }
    if s.get("valid_until"):
        claims["exp"] = int(parse_time(s["valid_until"]).timestamp())
    return claims


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """``credentialStatus``: a BitstringStatusListEntry for revocation (W3C Bitstring Status List v1.0)."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def sign(claims: dict[str, Any], key: LoadedKey, *, kid: str | None = None) -> str:
    """The compact JWS of ``claims`` with header {alg: RS256, kid, typ: JWT}; ``kid`` defaults
    to the bare thumbprint (pass the key's URL, ``ids.key_url``)."""
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": kid or key.kid, "typ": "JWT"})


# Why a token was refused, in words a visitor understands (see verify templates).
REASONS = ("malformed", "header", "algorithm", "unknown_key", "signature", "claims", "expired", "content")


class CredentialRejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _header(token: str) -> dict[str, Any]:
    """The JOSE header alone (PyJWT's get_unverified_header would decode the whole token once
    more; ``jwt.decode`` below checks every segment anyway)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "==="))
    except (ValueError, UnicodeDecodeError) as error:
        raise CredentialRejected("malformed", "header") from error
    if not isinstance(header, dict):
        raise CredentialRejected("malformed", "header")
    return header


@dataclass(frozen=True)
class VerifiedToken:
    kid: str
    claims: dict[str, Any]


def verify(
    token: str,
    key_for_kid: Callable[[str], rsa.RSAPublicKey | None],
    *,
    check_expiry: bool = True,
) -> VerifiedToken:
    """Check a credential's signature with the key its ``kid`` names; raise CredentialRejected.

    Refused before any key is touched: a header with anything but alg/kid/typ (no jku, jwk, x5u,
    x5c, crit: a token never says where its key comes from), an algorithm other than RS256 (so
    neither ``none`` nor HS256 keyed with the public key), an unknown kid. ``jwt.decode`` then
    pins RS256 and the required claims. With ``check_expiry=False`` an expired credential still
    verifies (the pages say "abgelaufen" separately)."""
    if not isinstance(token, str) or len(token) > 100_000 or not _COMPACT_JWS.fullmatch(token):
        raise CredentialRejected("malformed")
    header = _header(token)
    extra = set(header) - HEADER_MEMBERS
    if extra:
        raise CredentialRejected("header", ", ".join(sorted(extra)))
    if header.get("alg") != ALGORITHM:
        raise CredentialRejected("algorithm", str(header.get("alg")))
    if header.get("typ", "JWT") != "JWT":
        raise CredentialRejected("header", "typ")
    kid = header.get("kid")
    key = key_for_kid(kid) if isinstance(kid, str) and kid else None
    if key is None:
        raise CredentialRejected("unknown_key", str(kid))
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS, "verify_exp": check_expiry, "verify_aud": False},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as error:
        raise CredentialRejected("expired") from error
    except jwt.InvalidSignatureError as error:
        raise CredentialRejected("signature") from error
    except jwt.InvalidAlgorithmError as error:
        raise CredentialRejected("algorithm") from error
    except jwt.DecodeError as error:
        raise CredentialRejected("malformed", str(error)) from error
    except jwt.InvalidTokenError as error:  # missing or immature claims
        raise CredentialRejected("claims", type(error).__name__) from error
    return VerifiedToken(kid, claims)
