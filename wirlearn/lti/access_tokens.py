"""Access tokens for the platform's services (NRPS, AGS): the OAuth 2 client-credentials grant
with a JWT client assertion signed by the tool's key (1EdTech Security Framework, 4.1)."""

from __future__ import annotations

import secrets
import time

from wirlearn.lti import http, keys
from wirlearn.lti.models import LtiPlatform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def client_assertion(platform: LtiPlatform) -> str:
    now = int(time.time())
    return keys.sign(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }
    )


def access_token(platform: LtiPlatform, scopes: list[str]) -> str:
    answer = http.post_form(
        platform.token_url,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(platform),
            "scope": " ".join(scopes),
        },
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise http.PlatformError(f"{platform.token_url} gave no access_token")
    return token


def bearer(token: str, accept: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if accept:
        headers["Accept"] = accept
    return headers
