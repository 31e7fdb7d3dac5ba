"""Brute-force limits on signing in (Flask-Limiter), without handing strangers a lockout switch.

Only failed attempts count (a view marks one with ``mark_failed``), so colleagues signing in
from one office behind the same address are not locked out by each other's successes.

Three budgets, all shared by the sign-in page, its second step and ``POST /api/v1/token``:

- per client address, over all accounts (``RATELIMIT_LOGIN``): one address cannot try many
  accounts;
- per account and address (``RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS``): the tight limit on guessing
  one account's password or code. A stranger who exhausts it blocks only their own address;
  the owner signs in from theirs;
- per account over all addresses (``RATELIMIT_LOGIN_PER_ACCOUNT``): a much higher ceiling that
  bounds guessing spread over many addresses. It does not apply to a browser that has signed in
  to this account before (a signed device cookie, as OWASP suggests), so even an attacker who
  exhausts it cannot keep the owner out of their usual browser.

The account is always what the server knows, never a field the client may vary: the account
of the address sent (its id; the address normalised as stored when there is no such account),
and in the second step the half-signed-in user of this session. The counters live in
``RATELIMIT_STORAGE_URI`` (Redis in production, so every app process shares them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import after_this_request, current_app, g, request, session
from flask.wrappers import Response
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer

from wirlearn.extensions import limiter

PENDING_KEY = "2fa_pending"
DEVICE_COOKIE = "wirlearn_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5  # a shared office computer remembers a few accounts

# The limits' names in the counter storage (Redis keys begin with them). Each limit has its own,
# so a key only has to tell apart the addresses or accounts within one limit. A renamed scope
# starts its counters afresh after a deploy. The client address is the limiter's default key
# (flask_limiter.util.get_remote_address, set in wirlearn.extensions).
SCOPE_ADDRESS = "sign-in-address"
SCOPE_ACCOUNT_ADDRESS = "sign-in-account-address"
SCOPE_ACCOUNT = "sign-in-account"
SCOPE_RESET_ADDRESS = "password-reset-address"
SCOPE_RESET_ACCOUNT = "password-reset-account"
POST_ONLY = ("POST",)  # opening a form (GET) counts for nothing
ACCOUNT_CACHE = "sign_in_account"  # flask.g: the account of this request, looked up once


def mark_failed() -> None:
    """Count this request against the sign-in limits."""
    g.auth_failed = True


def _failed(response: Response) -> bool:
    return bool(g.get("auth_failed"))


def _submitted_email() -> str | None:
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return email if isinstance(email, str) else None


def _email_hash(email: str) -> str:
    """The address as it would be stored, hashed (counter keys are not logged in clear)."""
    from wirlearn.auth.services import normalize_email

    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _account_of_email() -> str | None:
    """The account a password is tried for: ``uid:<id>``, or for an address without an account
    the hash of the address as it would be stored."""
    from wirlearn.auth.services import find_user_id

    email = _submitted_email()
    if email is None:
        return None
    user_id = find_user_id(email)
    return _email_hash(email) if user_id is None else f"uid:{user_id}"


def _account_of_pending_step() -> str | None:
    """The second step is about the user whose password this session proved (signed cookie)."""
    pending = session.get(PENDING_KEY)
    user_id = pending.get("uid") if isinstance(pending, dict) else None
    return f"uid:{user_id}" if isinstance(user_id, int) else None


def _account(account_of: Callable[[], str | None]) -> str | None:
    cache = g.setdefault(ACCOUNT_CACHE, {})
    if account_of not in cache:
        cache[account_of] = account_of()
    return cache[account_of]


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wirlearn.sign-in-device")


def _device_cookie_name() -> str:
    return "__Host-wirlearn-device" if current_app.config.get("SESSION_COOKIE_SECURE") else DEVICE_COOKIE


def known_accounts() -> list[int]:
    """Accounts that have signed in completely in this browser (from the signed device cookie)."""
    raw = request.cookies.get(_device_cookie_name())
    if not raw:
        return []
    try:
        ids = _device_serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [value for value in ids if isinstance(value, int)] if isinstance(ids, list) else []


def remember_device(user_id: int) -> None:
    """After a complete sign-in: this browser is one of the account's own from now on."""
    ids = [user_id, *(value for value in known_accounts() if value != user_id)][:DEVICE_ACCOUNTS]

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(
            _device_cookie_name(),
            _device_serializer().dumps(ids),
            max_age=DEVICE_DAYS * 86400,
            path="/",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        return response


def _limits(account_of: Callable[[], str | None]):
    """The three sign-in limits for the account ``account_of`` names (None: no account)."""

    def account_key() -> str:
        return str(_account(account_of))  # never None here: both limits are exempt without an account

    def account_address_key() -> str:
        return f"{account_key()}|{get_remote_address()}"

    def no_account() -> bool:
        return _account(account_of) is None

    def own_device_or_no_account() -> bool:
        account = _account(account_of)
        return account is None or (account.startswith("uid:") and int(account[4:]) in known_accounts())

    return (
        limiter.shared_limit(
            lambda: current_app.config["RATELIMIT_LOGIN"], scope=SCOPE_ADDRESS, methods=POST_ONLY, deduct_when=_failed
        ),
        limiter.shared_limit(
            lambda: current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS"],
            scope=SCOPE_ACCOUNT_ADDRESS,
            key_func=account_address_key,
            methods=POST_ONLY,
            deduct_when=_failed,
            exempt_when=no_account,
        ),
        limiter.shared_limit(
            lambda: current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"],
            scope=SCOPE_ACCOUNT,
            key_func=account_key,
            methods=POST_ONLY,
            deduct_when=_failed,
            exempt_when=own_device_or_no_account,
        ),
    )


def _decorate(view, account_of: Callable[[], str | None]):
    for limit in reversed(_limits(account_of)):
        view = limit(view)
    return view


def sign_in_limits(view):
    """Decorate a view that checks a password for a submitted e-mail address (POST only)."""
    return _decorate(view, _account_of_email)


def second_step_limits(view):
    """Decorate the second step of signing in: the account is the session's pending user."""
    return _decorate(view, _account_of_pending_step)


def _reset_address_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def _reset_account_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET_PER_ACCOUNT"]


def _reset_email_key() -> str:
    """The address a reset is asked for, normalised as stored (a request without one: the hash
    of the empty address, one counter for all of them)."""
    return _email_hash(_submitted_email() or "")


def password_reset_limits(view):
    """Decorate a password-reset request (POST only): every request counts, per client address
    and per address asked for, whether an account belongs to it or not (so the limit tells
    nothing either)."""
    view = limiter.shared_limit(_reset_account_limit, scope=SCOPE_RESET_ACCOUNT, key_func=_reset_email_key, methods=POST_ONLY)(
        view
    )
    return limiter.shared_limit(_reset_address_limit, scope=SCOPE_RESET_ADDRESS, methods=POST_ONLY)(view)
