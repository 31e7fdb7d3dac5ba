"""Allocating status-list entries and serving the signed Bitstring Status List credential.

Decisions (W3C Bitstring Status List v1.0):
* One list sequence per issuer; a series' credentials name the series' issuer profile, so lists
  belong to a series. Purpose ``revocation`` only: a superseded certificate is revoked in the
  list too (the verification page still tells "ersetzt" from "widerrufen").
* An index is chosen at random (``secrets``) among the free ones of the open list, so neighbours
  on a list say nothing about each other; an index is never used twice (unique constraint), and a
  full list is closed and a new one opened.
* The list credential is built from the certificates (see models) and signed like a certificate
  (VC-JWT, RS256, ``kid`` the key's URL). Building and signing it happens once per change: the
  signed text is kept per process, keyed by the database's change counter
  (``wirlearn.core.changes``), which every worker reads per request, so a revocation shows on
  every worker with the next request after its commit.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from wirlearn.certificates import ids, keys, signing
from wirlearn.certificates.models import Certificate
from wirlearn.core import urls
from wirlearn.core.changes import current_version
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.status import bitstring
from wirlearn.status.models import StatusList

DEFAULT_TTL_SECONDS = 300
RANDOM_TRIES = 64


@dataclass(frozen=True)
class StatusEntry:
    list_id: int
    index: int
    list_url: str


def list_size() -> int:
    return max(int(current_app.config.get("STATUS_LIST_SIZE") or bitstring.MIN_BITS), bitstring.MIN_BITS)


def ttl_seconds() -> int:
    return int(current_app.config.get("STATUS_LIST_TTL_SECONDS") or DEFAULT_TTL_SECONDS)


def _claim(series_id: int) -> tuple[int, int, int]:
    """Count one more entry on the open list of ``series_id``'s issuer: (list id, size, entries
    now given out). One statement (the row lock of the UPDATE makes concurrent issuers take
    turns); a new list when none is open."""
    open_list = (
        select(func.min(StatusList.id))
        .where(StatusList.series_id == series_id, StatusList.purpose == "revocation", StatusList.allocated < StatusList.size)
        .scalar_subquery()
    )
    claimed = db.session.execute(
        update(StatusList)
        .where(StatusList.id == open_list, StatusList.allocated < StatusList.size)
        .values(allocated=StatusList.allocated + 1)
        .returning(StatusList.id, StatusList.size, StatusList.allocated)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is not None:
        return claimed.id, claimed.size, claimed.allocated
    created = StatusList(series_id=series_id, purpose="revocation", size=list_size(), allocated=1)
    db.session.add(created)
    db.session.flush()
    return created.id, created.size, 1


def _taken(list_id: int, index: int) -> bool:
    return (
        db.session.scalar(
            select(Certificate.id).where(Certificate.status_list_id == list_id, Certificate.status_index == index).limit(1)
        )
        is not None
    )


def allocate(series_id: int, base_url: str | None = None) -> StatusEntry:
    """A fresh random index on the open list of ``series_id``'s issuer (a new list when full).

    Flushes, does not commit; the caller stores the index on the certificate in the same
    transaction (the unique constraint on list and index is the last word)."""
    list_id, size, given_out = _claim(series_id)
    index = None
    if given_out <= size // 2:
        for _try in range(RANDOM_TRIES):
            candidate = secrets.randbelow(size)
            if not _taken(list_id, candidate):
                index = candidate
                break
    if index is None:  # a list more than half full: choose among the free ones
        used = set(db.session.scalars(select(Certificate.status_index).where(Certificate.status_list_id == list_id)))
        free = [candidate for candidate in range(size) if candidate not in used]
        index = secrets.choice(free)  # given_out <= size: at least this entry is free
    return StatusEntry(list_id, index, ids.status_list_url(list_id, base_url))


# Signed list credentials per app (one app per worker process): list id → (change counter, base
# URL, kid, token). Kept in ``app.extensions`` so two apps in one process (tests) never share it.
CACHE = "wirlearn_status_lists"
_lock = threading.Lock()


def _cache() -> dict[int, tuple[int, str, str, str]]:
    return current_app.extensions.setdefault(CACHE, {})


def revoked_indices(list_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Certificate.status_index).where(
                Certificate.status_list_id == list_id, Certificate.status.in_(("revoked", "superseded"))
            )
        )
    )


def list_claims(status_list: StatusList, base_url: str, encoded_list: str, now) -> dict:
    url = ids.status_list_url(status_list.id, base_url)
    issuer = ids.issuer_id(status_list.series_id, base_url)
    valid_from = signing.format_time(now)
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encoded_list,
            "ttl": ttl_seconds() * 1000,
        },
        "iss": issuer,
        "jti": url,
        "sub": f"{url}#list",
        "nbf": int(signing.parse_time(valid_from).timestamp()),
        "iat": int(signing.parse_time(valid_from).timestamp()),
    }


def signed_list(list_id: int) -> str | None:
    """The signed BitstringStatusListCredential (compact JWS), or None for an unknown list."""
    version = current_version()
    base_url = urls.base_url()
    cached = _cache().get(list_id)
    if cached is not None and version is not None and cached[0] == version and cached[1] == base_url:
        return cached[3]
    status_list = db.session.get(StatusList, list_id)
    if status_list is None:
        return None
    encoded = bitstring.encode(bitstring.bits_with(status_list.size, revoked_indices(list_id)))
    key = keys.signing_key()
    # A second before now: a verifier whose clock is slightly behind still accepts nbf.
    claims = list_claims(status_list, base_url, encoded, utcnow() - timedelta(seconds=1))
    token = signing.sign(claims, key, kid=ids.key_url(key.kid, base_url))
    if version is not None:
        with _lock:
            _cache()[list_id] = (version, base_url, key.kid, token)
    return token


def clear_cache() -> None:
    with _lock:
        _cache().clear()
