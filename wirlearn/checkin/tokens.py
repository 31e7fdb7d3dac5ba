"""The rotating check-in token: an HMAC of the session and a 15-second time window.

The key is derived from ``SECRET_KEY`` and the session id, so a token of one session is
worthless for another. The current and the previous window are accepted: a code scanned just
before it changes still works, a photo of it is useless half a minute later. Nothing is
stored: every app process computes the same tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from flask import current_app

WINDOW_SECONDS = 15
ACCEPTED_WINDOWS = 2  # the current one and the one before
TOKEN_LENGTH = 16  # base64url characters: 96 bits of the HMAC


@dataclass(frozen=True)
class CurrentToken:
    token: str
    expires_in: int  # seconds until it is no longer accepted
    refresh_in: int  # seconds until the next token is shown


def window_of(timestamp: float) -> int:
    return int(timestamp // WINDOW_SECONDS)


def _session_key(session_id: int) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"wirlearn.checkin|{session_id}".encode(), hashlib.sha256).digest()


def token_for(session_id: int, window: int) -> str:
    digest = hmac.new(_session_key(session_id), str(window).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:TOKEN_LENGTH]


def current_token(session_id: int, now: float | None = None) -> CurrentToken:
    now = time.time() if now is None else now
    window = window_of(now)
    next_window_at = (window + 1) * WINDOW_SECONDS
    return CurrentToken(
        token=token_for(session_id, window),
        expires_in=max(1, int(next_window_at + WINDOW_SECONDS * (ACCEPTED_WINDOWS - 1) - now)),
        refresh_in=max(1, int(next_window_at - now + 0.999)),
    )


def token_valid(session_id: int, token: str, now: float | None = None) -> bool:
    """Whether ``token`` belongs to ``session_id`` and the current or the previous window."""
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return False
    window = window_of(time.time() if now is None else now)
    return any(hmac.compare_digest(token_for(session_id, window - age), token) for age in range(ACCEPTED_WINDOWS))
