"""Short-lived bearer tokens for the JSON API (PyJWT, HS256, algorithm and claims pinned)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app

from wirlearn.auth.models import User
from wirlearn.core.urls import base_url

ALGORITHM = "HS256"
AUDIENCE = "wirlearn-api"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sid"]


def _key() -> bytes:
    # A key of its own for API tokens, derived so that SECRET_KEY is never used directly.
    return hashlib.sha256(b"wirlearn-api-token:" + current_app.config["SECRET_KEY"].encode()).digest()


def issue_token(user: User) -> tuple[str, int]:
    """A signed token for ``user`` and its lifetime in seconds."""
    lifetime = current_app.config["API_TOKEN_MINUTES"] * 60
    now = datetime.now(UTC)
    claims = {
        "iss": base_url(),
        "aud": AUDIENCE,
        "sub": str(user.id),
        "sid": user.session_nonce,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM), lifetime


def decode_token(token: str) -> dict:
    """The claims of a valid token; raises a PyJWT error otherwise."""
    return jwt.decode(
        token,
        _key(),
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=base_url(),
        options={"require": REQUIRED_CLAIMS},
        leeway=5,
    )
