"""Platform registrations (one per issuer and client id) and each platform's public keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.audit.services import record
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.lti import http
from wirlearn.lti.models import LtiPlatform

JWKS_MAX_AGE = timedelta(hours=1)
# A token with a key id we have not seen makes us fetch the JWKS again (key rotation), but not
# more often than this, so forged tokens cannot make us hammer the platform.
JWKS_REFETCH_AFTER = timedelta(seconds=30)
URL_FIELDS = ("auth_login_url", "token_url", "jwks_url")


class RegistrationError(ValueError):
    """A registration that cannot be saved; the message says why, in German."""


@dataclass
class PlatformValues:
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    token_url: str
    jwks_url: str


def parse_deployment_ids(text: str) -> list[str]:
    """One or more deployment ids, separated by commas, spaces or lines; order kept, no doubles."""
    seen: list[str] = []
    for part in text.replace(",", " ").split():
        if part not in seen:
            seen.append(part)
    return seen


def is_web_address(value: str, *, allow_http: bool) -> bool:
    parts = urlsplit(value)
    schemes = ("https", "http") if allow_http else ("https",)
    return parts.scheme in schemes and bool(parts.netloc) and " " not in value


def _allow_http() -> bool:
    # Platforms speak HTTPS; plain HTTP only outside production (a Moodle on a laptop, the tests).
    return current_app.config.get("WIRLEARN_ENV") != "production"


def check_values(values: PlatformValues, platform: LtiPlatform | None = None) -> PlatformValues:
    values.name = values.name.strip()
    values.issuer = values.issuer.strip()
    values.client_id = values.client_id.strip()
    for name in URL_FIELDS:
        setattr(values, name, getattr(values, name).strip())
    if not values.name or not values.client_id:
        raise RegistrationError(_("Name und Client-ID sind Pflichtangaben."))
    if not is_web_address(values.issuer, allow_http=_allow_http()):
        raise RegistrationError(_("Der Aussteller (Issuer) muss eine Webadresse mit https:// sein."))
    for name in URL_FIELDS:
        if not is_web_address(getattr(values, name), allow_http=_allow_http()):
            raise RegistrationError(_("Die Adressen der Plattform müssen mit https:// beginnen."))
    if not values.deployment_ids:
        raise RegistrationError(_("Geben Sie mindestens eine Deployment-ID an."))
    if any(len(value) > 255 for value in values.deployment_ids):
        raise RegistrationError(_("Eine Deployment-ID ist höchstens 255 Zeichen lang."))
    taken = db.session.scalar(
        select(LtiPlatform.id).where(
            LtiPlatform.issuer == values.issuer,
            LtiPlatform.client_id == values.client_id,
            LtiPlatform.id != (platform.id if platform else -1),
        )
    )
    if taken:
        raise RegistrationError(_("Diese Plattform ist mit dieser Client-ID bereits registriert."))
    return values


def _snapshot(platform: LtiPlatform) -> dict:
    return {
        "name": platform.name,
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "deployment_ids": list(platform.deployment_ids or []),
        "auth_login_url": platform.auth_login_url,
        "token_url": platform.token_url,
        "jwks_url": platform.jwks_url,
        "status": platform.status,
    }


def create(values: PlatformValues, *, status: str = "active", source: str = "manual") -> LtiPlatform:
    values = check_values(values)
    platform = LtiPlatform(
        name=values.name,
        issuer=values.issuer,
        client_id=values.client_id,
        deployment_ids=values.deployment_ids,
        auth_login_url=values.auth_login_url,
        token_url=values.token_url,
        jwks_url=values.jwks_url,
        status=status,
        source=source,
    )
    db.session.add(platform)
    db.session.flush()
    record("lti.platform_created", "lti_platform", platform.id, after=_snapshot(platform) | {"source": source})
    return platform


def update(platform: LtiPlatform, values: PlatformValues) -> None:
    values = check_values(values, platform)
    before = _snapshot(platform)
    if values.jwks_url != platform.jwks_url:
        platform.jwks = None
        platform.jwks_fetched_at = None
    for name in ("name", "issuer", "client_id", "deployment_ids", *URL_FIELDS):
        setattr(platform, name, getattr(values, name))
    after = _snapshot(platform)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        record(
            "lti.platform_changed",
            "lti_platform",
            platform.id,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    db.session.flush()


def confirm(platform: LtiPlatform) -> None:
    """A dynamically registered platform may launch from now on."""
    if platform.status == "active":
        return
    platform.status = "active"
    record("lti.platform_confirmed", "lti_platform", platform.id, before={"status": "pending"}, after={"status": "active"})
    db.session.flush()


def delete(platform: LtiPlatform) -> None:
    """Remove a registration with its account and course links (wirlearn's own data stays)."""
    record("lti.platform_deleted", "lti_platform", platform.id, before=_snapshot(platform))
    db.session.delete(platform)
    db.session.flush()


def find(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration for ``issuer`` and ``client_id``; without a client id only when the issuer
    has exactly one registration (the login request may omit it)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return db.session.scalars(query.where(LtiPlatform.client_id == client_id)).first()
    found = db.session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origin(platform: LtiPlatform) -> str:
    """Where the platform's pages come from (for framing wirlearn in them)."""
    return origin_of(platform.auth_login_url)


# --- the platform's public keys ---------------------------------------------------------------


class UnknownKey(Exception):
    """No key of the platform's JWKS has the token's key id."""


def _fetch_jwks(platform: LtiPlatform) -> dict:
    document, _response = http.get_json(platform.jwks_url)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise http.PlatformError(f"{platform.jwks_url} is not a JWKS")
    platform.jwks = document
    platform.jwks_fetched_at = utcnow()
    return document


def _find_key(document: dict | None, kid: str | None):
    for entry in (document or {}).get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if kid is None or entry.get("kid") == kid:
            try:
                return jwt.PyJWK(entry, algorithm="RS256").key
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
    return None


def signing_key(platform: LtiPlatform, kid: str | None):
    """The platform's public key ``kid``: from the cached JWKS while it is fresh, fetched again
    when it is old or does not know ``kid`` (the platform rotated its keys)."""
    now = utcnow()
    fetched = platform.jwks_fetched_at
    if platform.jwks is None or fetched is None or now - fetched > JWKS_MAX_AGE:
        _fetch_jwks(platform)
    key = _find_key(platform.jwks, kid)
    if key is None and platform.jwks_fetched_at is not None and now - platform.jwks_fetched_at > JWKS_REFETCH_AFTER:
        _fetch_jwks(platform)
        key = _find_key(platform.jwks, kid)
    if key is None:
        raise UnknownKey(kid)
    return key
