"""Brute-force limits on signing in (Flask-Limiter): per client address and per account.

Only failed attempts count (a view marks one with ``mark_failed``), so colleagues signing in
from one office behind the same address are not locked out by each other's successes. The
account limit is shared by the sign-in page, its second step and ``POST /api/v1/token``, so an
attacker gains nothing by switching between them. The limits themselves are settings
(``RATELIMIT_LOGIN``, ``RATELIMIT_LOGIN_PER_ACCOUNT``); the counters live in
``RATELIMIT_STORAGE_URI`` (Redis in production, so every app process shares them).
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request, session
from flask.wrappers import Response

from wirlearn.extensions import limiter

PENDING_KEY = "2fa_pending"


def mark_failed() -> None:
    """Count this request against the sign-in limits."""
    g.auth_failed = True


def _failed(response: Response) -> bool:
    return bool(g.get("auth_failed"))


def address_key() -> str:
    return "addr:" + (request.remote_addr or "unknown")


def account_key() -> str:
    """The account a sign-in request is about: the e-mail address sent, or the pending second step."""
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if email is None:
        pending = session.get(PENDING_KEY) or {}
        email = f"uid:{pending.get('uid')}"
    digest = hashlib.sha256(str(email).strip().lower().encode()).hexdigest()[:32]
    return "acct:" + digest


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"]


def sign_in_limits(view):
    """Decorate a sign-in view (POST only) with both limits."""
    view = limiter.shared_limit(
        _account_limit, scope="sign-in-account", key_func=account_key, methods=["POST"], deduct_when=_failed
    )(view)
    view = limiter.shared_limit(
        _address_limit, scope="sign-in-address", key_func=address_key, methods=["POST"], deduct_when=_failed
    )(view)
    return view


def _reset_address_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def _reset_account_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET_PER_ACCOUNT"]


def password_reset_limits(view):
    """Decorate a password-reset request (POST only): every request counts, per client address
    and per address asked for, whether an account belongs to it or not (so the limit tells
    nothing either)."""
    view = limiter.shared_limit(_reset_account_limit, scope="password-reset-account", key_func=account_key, methods=["POST"])(
        view
    )
    view = limiter.shared_limit(_reset_address_limit, scope="password-reset-address", key_func=address_key, methods=["POST"])(
        view
    )
    return view
