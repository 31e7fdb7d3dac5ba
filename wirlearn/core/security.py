"""Response headers every page carries, error pages included."""

from __future__ import annotations

import json
import re

from flask import abort, current_app, g, request, session
from flask.wrappers import Response
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


# Set on every response unless the view set its own; with HSTS in production.
STATIC_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the headers already set, not one per header added (every request pays this).
    present = {key.lower() for key, _value in headers.items()}
    for name, value in STATIC_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if current_app.config.get("HSTS") and "strict-transport-security" not in present:
        headers.add(*HSTS_HEADER)
    rule = g.get("access_rule")
    # Anything behind a sign-in, any page a signed-in person sees (it shows their name), any
    # response that sets a cookie, and any error (the next request may succeed) must not be
    # kept by browsers or shared caches.
    # (The session cookie itself is written after this hook, hence session.modified.)
    if (
        (rule is not None and not rule.public)
        or response.status_code >= 400
        or session.modified
        or _signed_in()
        or "Set-Cookie" in headers
    ):
        headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    from wirlearn.core.lean import is_lean

    if is_lean():
        return False
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - an error page after the database failed must still get its headers
        return False


MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unusable_json(raw: bytes) -> bool:
    """True for a JSON body nested deeper than any request of this app, or with a lone surrogate
    (``"\\ud800"``) in a string: neither can be stored or even encoded as UTF-8."""
    try:
        value = json.loads(raw)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON at all: the endpoint explains that itself
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


# Forms whose files are binary by nature (certificate logos and signature images): the feature
# checks them by content (Pillow) and stores them as bytes, never as text.
BINARY_UPLOAD_ENDPOINTS = {"certificate_design.page"}


def refuse_nul_bytes() -> None:
    """before_request: a NUL character is never part of a name, note or address, and PostgreSQL
    cannot store one; refuse it up front (400) instead of failing half-way through a write.
    Likewise JSON nested absurdly deep or carrying a lone surrogate."""
    for _key, items in request.args.lists():
        if any("\x00" in item for item in items) or "\x00" in _key:
            abort(400)
    if not request.mimetype:
        return  # no body to read: no form, no upload, no JSON (most GET requests)
    for _key, items in request.form.lists():
        if any("\x00" in item for item in items) or "\x00" in _key:
            abort(400)
    for upload in request.files.values():
        content = upload.stream.read()
        upload.stream.seek(0)
        if b"\x00" in content and request.endpoint not in BINARY_UPLOAD_ENDPOINTS:
            abort(400)
    if request.is_json:
        raw = request.get_data(cache=True)
        if b"\x00" in raw or b"\\u0000" in raw or _unusable_json(raw):
            abort(400)
