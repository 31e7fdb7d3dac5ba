"""What the public verification page and JSON say about a code: one query, a cached signature
check, and the state always fresh from the database.

The signature check is immutable for a given stored credential and snapshot, so its result is
cached per process, keyed by (code, hash of the credential, hash of the snapshot, kid): a
changed credential or snapshot is checked anew, while status, revocation and supersession are
read from the database at every request (a revoked certificate shows as revoked at once).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from wirlearn.certificates import codes, ids, keys, signing, states
from wirlearn.certificates.models import Certificate, SigningKey
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    kid: str
    reason: str | None = None  # one of signing.REASONS when not valid


@dataclass(frozen=True)
class Verification:
    code: str
    state: str  # valid | expired | revoked | superseded (states.decide)
    snapshot: dict[str, Any]
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    superseded_at: datetime | None
    successor_code: str | None
    signature: SignatureCheck
    key_retired: bool
    checked_at: datetime
    content_digest: bytes = b""  # of credential and snapshot
    expired: bool = False  # past the end of validity, also when revoked or superseded

    def page_key(self) -> tuple:
        """Everything the page shows, for reusing its HTML: the state read just now, the
        signature result, the stored content and the minute of the check."""
        return (
            self.code,
            self.state,
            self.issued_at,
            self.valid_until,
            self.revoked_at,
            self.superseded_at,
            self.successor_code,
            self.signature,
            self.key_retired,
            self.content_digest,
            self.expired,
            self.checked_at.replace(second=0, microsecond=0),
        )

    @property
    def grouped_code(self) -> str:
        return codes.grouped(self.code)

    @property
    def successor_grouped(self) -> str | None:
        return codes.grouped(self.successor_code) if self.successor_code else None

    @property
    def verdict(self) -> str:
        return decide_verdict(self.state, self.signature.valid)


def decide_verdict(state: str, signature_valid: bool) -> str:
    """The one answer the page's headline and the JSON's ``status`` give: "invalid" ("Nicht
    bestätigt") when the stored credential does not prove the stored snapshot, whatever the
    state; else the state (``certificates.states.decide``)."""
    return state if signature_valid else "invalid"


_checks: dict[tuple[str, bytes, str], SignatureCheck] = {}
_lock = threading.Lock()


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def content_digest(credential: str, snapshot: dict[str, Any]) -> bytes:
    snapshot_json = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _digest(credential) + _digest(snapshot_json)


def check_signature(
    code: str, credential: str, snapshot: dict[str, Any], kid: str, jwk: dict[str, Any], digest: bytes | None = None
) -> SignatureCheck:
    """Does the stored credential carry a valid RS256 signature by the registered key ``kid``,
    and does it say exactly what the snapshot says? Cached (see module docstring)."""
    cache_key = (code, digest or content_digest(credential, snapshot), kid)
    cached = _checks.get(cache_key)
    if cached is not None:
        return cached
    result = _check(credential, snapshot, kid, jwk)
    with _lock:
        if len(_checks) >= CACHE_LIMIT:
            _checks.clear()
        _checks[cache_key] = result
    return result


def _check(credential: str, snapshot: dict[str, Any], kid: str, jwk: dict[str, Any]) -> SignatureCheck:
    # The header must name the key the certificate was registered with: its URL under the
    # issuer's address, or (credentials signed before kid became a URL) its bare thumbprint.
    accepted = {kid, ids.key_url(kid, snapshot.get("issuer_url") or "")}

    def key_for(token_kid: str):
        return keys.public_key(kid, jwk) if token_kid in accepted else None

    try:
        verified = signing.verify(credential, key_for, check_expiry=False)
    except signing.CredentialRejected as rejected:
        return SignatureCheck(False, kid, rejected.reason)
    if verified.claims != signing.credential_claims(snapshot):
        return SignatureCheck(False, kid, "content")
    return SignatureCheck(True, kid)


def clear_cache() -> None:
    with _lock:
        _checks.clear()
    from wirlearn.verify import views

    with views._pages_lock:
        views._pages.clear()


@lru_cache(maxsize=1)
def _lookup_statement():
    """The one query of a verification, built once per process: building a statement with an
    alias costs more than running it."""
    newer = aliased(Certificate)
    return (
        select(
            Certificate.code,
            Certificate.status,
            Certificate.snapshot,
            Certificate.credential,
            Certificate.kid,
            Certificate.issued_at,
            Certificate.valid_until,
            Certificate.revoked_at,
            Certificate.superseded_at,
            Certificate.successor_public,
            newer.code.label("successor_code"),
            SigningKey.public_jwk,
            SigningKey.retired_at,
        )
        .join(SigningKey, SigningKey.kid == Certificate.kid)
        .outerjoin(newer, newer.supersedes_id == Certificate.id)
        .where(Certificate.code == bindparam("code"))
    )


def verify_code(raw_code: str | None, now: datetime | None = None) -> Verification | None:
    """The verification of a code, or None for an unknown or malformed code (same answer)."""
    code = codes.normalize(raw_code)
    if code is None:
        return None
    # On the session's connection (the same transaction), without the ORM's result processing:
    # the statement selects plain columns.
    row = db.session.connection().execute(_lookup_statement(), {"code": code}).first()
    if row is None:
        return None
    now = now or utcnow()
    decision = states.decide(row.status, row.valid_until, now)
    digest = content_digest(row.credential, row.snapshot)
    signature = check_signature(row.code, row.credential, row.snapshot, row.kid, row.public_jwk, digest)
    return Verification(
        code=row.code,
        state=decision.state,
        snapshot=row.snapshot,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        superseded_at=row.superseded_at,
        # Linked only when the programme office chose so at re-issue.
        successor_code=row.successor_code if row.successor_public else None,
        signature=signature,
        key_retired=row.retired_at is not None,
        checked_at=now,
        content_digest=digest,
        expired=decision.expired,
    )


def as_json(verification: Verification, verify_url_of) -> dict[str, Any]:
    """The verification JSON (DESIGN.md public contract), saying what the page says: ``status``
    is ``verification.verdict`` ("invalid" when the page says "Nicht bestätigt"); ``state`` is
    the certificate's record state, ``expired`` whether its validity has ended."""
    s = verification.snapshot
    body: dict[str, Any] = {
        "status": verification.verdict,
        "state": verification.state,
        "expired": verification.expired,
        "code": verification.code,
        "verify_url": s["verify_url"],
        "certificate": {
            # A superseded certificate names nobody (the name may be the one that changed).
            "holder_name": None if verification.state == "superseded" else s["holder_name"],
            "title": s["certificate_title"],
            "series": s["series_title"],
            "provider": s["provider"],
            "issuer": s["issuer_name"] or s["provider"],
            "place": s["place"] or None,
            "issued_at": s["issued_at"],
            "valid_until": s["valid_until"],
            "modules": [{"title": m["title"], "teaching_units": m["teaching_units"]} for m in s["modules"]],
            "teaching_units_total": s["teaching_units_total"],
        },
        "signature": {
            "valid": verification.signature.valid,
            "kid": verification.signature.kid,
            "algorithm": keys.ALGORITHM,
        },
        "checked_at": signing.format_time(verification.checked_at),
    }
    if not verification.signature.valid:
        body["signature"]["reason"] = verification.signature.reason
    if verification.revoked_at:
        body["revoked_at"] = signing.format_time(verification.revoked_at)
    if verification.superseded_at:
        body["superseded_at"] = signing.format_time(verification.superseded_at)
    if verification.successor_code:
        body["superseded_by"] = {"code": verification.successor_code, "verify_url": verify_url_of(verification.successor_code)}
    return body
