"""The lean path for the public verification page and JSON.

Anyone on the internet can hit ``/v/{code}`` and ``/api/v1/verify/{code}`` (printed QR codes),
and no one is signed in there: they need no session cookie, no Flask-Login user, no 2FA or
session-lifetime check and no CSRF token (GET only). On requests under ``LEAN_PUBLIC_ROUTES``
the app therefore

* opens no session (a null session: nothing read, nothing can be written, so no Set-Cookie),
* treats the visitor as anonymous without asking Flask-Login to load anyone,
* skips every before/after-request hook except those in ``kept_hooks``: the NUL-byte refusal,
  the access rule, the rate limiter (its check and its headers) and the security headers.

Everything else is the same app: the same views, error handlers, templates, rate limits (the
same limiter and storage) and ``core.security.add_security_headers`` — the one place for the
header rules. ``tests/functional/test_lean_public_path.py`` compares every status these routes
answer (200, 404, 405, 429, 500) with the full stack (``LEAN_PUBLIC_PATH = False``).
What the lean path changes for a visitor who *is* signed in elsewhere in the app: the page's
language follows ``?lang=`` and the browser, not the language chosen in the signed-in session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps

from flask import Flask, Request, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

# Path prefixes of the lean routes: the verification page (and its lookup form at /v/) and JSON.
LEAN_PUBLIC_ROUTES: tuple[str, ...] = ("/v/", "/api/v1/verify/")

LEAN = "wirlearn.lean"


def _lean(app: Flask, req: Request) -> bool:
    return bool(app.config.get("LEAN_PUBLIC_PATH", True)) and req.path.startswith(LEAN_PUBLIC_ROUTES)


def is_lean() -> bool:
    """Whether the current request takes the lean path."""
    return has_request_context() and request.environ.get(LEAN, False)


class LeanSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, but a null session on the lean routes (nothing parsed or set)."""

    def open_session(self, app, request):
        if _lean(app, request):
            request.environ[LEAN] = True
            return self.make_null_session(app)
        return super().open_session(app, request)


def _start_lean_request() -> None:
    if is_lean():
        # Anonymous without a user loader: Flask-Login reads g._login_user when present.
        g._login_user = current_app.login_manager.anonymous_user()


def _skipped_on_lean(hook: Callable) -> Callable:
    @wraps(hook)
    def wrapper(*args, **kwargs):
        if is_lean():
            return args[0] if args else None  # an after-request hook returns the response
        return hook(*args, **kwargs)

    wrapper.skipped_on_lean_path = True  # type: ignore[attr-defined]
    return wrapper


def kept_hooks() -> set[Callable]:
    """The hooks that run on the lean path too (all others are skipped there)."""
    from wirlearn.core.access import enforce_access
    from wirlearn.core.security import add_security_headers, refuse_nul_bytes

    return {refuse_nul_bytes, enforce_access, add_security_headers, _start_lean_request}


def _keeps(hook: Callable, kept: set[Callable]) -> bool:
    from wirlearn.extensions import limiter

    # The rate limiter's check (a bound method) and its X-RateLimit headers (a partial over the
    # limiter): the same limits and headers as the full stack.
    owner = getattr(hook, "__self__", None)
    if owner is None and isinstance(hook, partial) and hook.args:
        owner = hook.args[0]
    return hook in kept or owner is limiter


def install(app: Flask) -> None:
    """Call last in create_app, once every feature has added its hooks."""
    if not isinstance(app.session_interface, LeanSessionInterface):  # a feature may extend it (lti)
        app.session_interface = LeanSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, _start_lean_request)
    kept = kept_hooks()
    for registry in (app.before_request_funcs, app.after_request_funcs):
        for blueprint, hooks in registry.items():
            registry[blueprint] = [hook if _keeps(hook, kept) else _skipped_on_lean(hook) for hook in hooks]
