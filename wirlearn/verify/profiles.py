"""What the ids inside a credential resolve to: the issuer's OB 3.0 Profile, the Achievement and
one public JWK. Built from the newest certificate of the series with the same function that
builds the credential (``signing.credential_claims``), so an id resolves to what the credentials
say; a series without certificates has no public profile (404, like an unknown id)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from wirlearn.certificates import design, ids, keys, signing
from wirlearn.certificates.models import Certificate, SigningKey
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment


def _newest_snapshot(series_id: int) -> dict[str, Any] | None:
    return db.session.scalar(
        select(Certificate.snapshot)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.series_id == series_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def issuer_profile(series_id: int) -> dict[str, Any] | None:
    """The issuer's Profile (OB 3.0), with url, email, description and the first logo."""
    snapshot = _newest_snapshot(series_id)
    if snapshot is None:
        return None
    base_url = snapshot["issuer_url"]
    profile = signing.credential_claims(snapshot)["issuer"] | {
        "@context": signing.CONTEXTS,
        "id": ids.issuer_id(series_id, base_url),
        "url": base_url,
        "description": f"Stellt die Zertifikate der Qualifizierungsreihe „{snapshot['series_title']}“ aus "
        f"(Anbieter: {snapshot['provider']}).",
    }
    email = current_app.config.get("ISSUER_EMAIL") or current_app.config.get("MAIL_REPLY_TO")
    if email:
        profile["email"] = email
    logos = design.design_for(series_id).logo_ids or []
    if logos:
        profile["image"] = {"id": ids.image_url(logos[0], base_url), "type": "Image", "caption": profile["name"]}
    return profile


def achievement(series_id: int) -> dict[str, Any] | None:
    snapshot = _newest_snapshot(series_id)
    if snapshot is None:
        return None
    found = signing.credential_claims(snapshot)["credentialSubject"]["achievement"]
    return {"@context": signing.CONTEXTS} | found | {"id": ids.achievement_id(series_id, snapshot["issuer_url"])}


def key_jwk(kid: str) -> dict[str, Any] | None:
    """The one public JWK of a registered key (retired ones too), with ``kid`` its URL."""
    row = db.session.get(SigningKey, kid) if len(kid) <= 64 else None
    if row is None:
        return None
    jwk = {name: row.public_jwk[name] for name in ("kty", "n", "e")}
    return jwk | {"kid": ids.key_url(row.kid), "use": "sig", "alg": keys.ALGORITHM}
