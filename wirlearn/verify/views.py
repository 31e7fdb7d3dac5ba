"""Public, no login: the verification page ``/v/{code}``, the JWKS and what the ids inside a
credential resolve to (``/ob/keys``, ``/ob/issuers``, ``/ob/achievements``, ``/ob/images``).

The page is what a QR code on paper opens, possibly decades from now: the URL shapes never
change. It sets no cookie (the language switch is a plain link with ``?lang=``), loads one
small stylesheet, is not indexed, is rate-limited per address, and answers unknown and
malformed codes with the same 404.
"""

from __future__ import annotations

import json
import threading

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale

from wirlearn.certificates import codes, design, keys
from wirlearn.core.access import public
from wirlearn.core.setup import select_locale
from wirlearn.extensions import limiter
from wirlearn.verify import profiles, services

bp = Blueprint("verify", __name__)

# Header names and values as constants: one spelling each, used by every answer of this page.
ROBOTS_HEADER, NO_INDEX = "X-Robots-Tag", "noindex, nofollow, noarchive"


def verify_limit() -> str:
    """One budget per address for the page, the lookup form and the JSON (scope "verify")."""
    return current_app.config["RATELIMIT_VERIFY"]


def chosen_locale() -> str | None:
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else None


# Rendered pages per process, keyed by everything they show (Verification.page_key); bounded
# (a page is about 9 KB).
_pages: dict[tuple, str] = {}
_pages_lock = threading.Lock()
PAGE_CACHE_LIMIT = 1_000


def _render(template: str, status: int = 200, *, switch_path: str | None, cache_key: tuple | None = None, **context) -> Response:
    """Render in the language asked for by ``?lang=`` (else the usual choice). The switch links
    to ``switch_path`` (the page's canonical address), or without one to the lookup form: unknown
    and malformed codes get byte-for-byte the same answer.

    With ``cache_key`` (every input of the page, the fresh state included) the HTML is reused
    while nothing it shows has changed: rendering costs more than the database query."""
    # The language code straight from the app's selector: a cached page needs no Babel locale.
    chosen = chosen_locale()
    lang = chosen or select_locale()
    key = (template, lang, chosen, switch_path, cache_key) if cache_key is not None else None
    html = _pages.get(key)  # None is never stored: no key, no reuse
    if html is None:
        other = "en" if lang == "de" else "de"
        switch_url = f"{switch_path}?lang={other}" if switch_path else url_for("verify.lookup", lang=other)
        with force_locale(lang):
            html = render_template(template, lang=lang, other_lang=other, switch_url=switch_url, **context)
        if key is not None:
            with _pages_lock:
                if len(_pages) >= PAGE_CACHE_LIMIT:
                    _pages.clear()
                _pages[key] = html
    response = Response(html, status=status)  # text/html
    response.headers[ROBOTS_HEADER] = NO_INDEX
    # The state may change at any moment (revocation): never serve a stored copy.
    response.cache_control.no_store = True
    return response


@bp.get("/v/<path:code>")
@limiter.shared_limit(verify_limit, scope="verify")
@public
def certificate(code: str):
    verification = services.verify_code(code)
    if verification is None:
        return _render("verify/unknown.html", status=404, switch_path=None, cache_key=("unknown",))
    return _render(
        "verify/certificate.html",
        switch_path=url_for("verify.certificate", code=verification.code),
        cache_key=verification.page_key(),
        v=verification,
        successor_url=_successor_url(verification),
    )


def _successor_url(verification) -> str | None:
    if not verification.successor_code:
        return None
    # url_for leaves out lang=None: the link keeps ?lang= only when the visitor chose one.
    return url_for("verify.certificate", code=verification.successor_code, lang=chosen_locale())


@bp.get("/v")
@bp.get("/v/")
@limiter.shared_limit(verify_limit, scope="verify")
@public
def lookup():
    """A form to type the code printed on the paper; a well-formed code goes to its page."""
    raw = request.args.get("code")
    if raw:
        code = codes.normalize(raw)
        if code is not None:
            return redirect(url_for("verify.certificate", code=code, lang=chosen_locale()))
        return _render("verify/lookup.html", switch_path=request.path, error=True, entered=raw[:80])
    return _render("verify/lookup.html", switch_path=request.path, error=False, entered="")


@bp.get("/.well-known/jwks.json")
@public
def jwks():
    body = json.dumps(keys.jwks(), separators=(",", ":"))
    response = Response(body, mimetype="application/jwk-set+json")
    _public(response, max_age=300)
    return response


# The ids inside a credential (certificates.ids): public, no cookie, 404 without detail.
JSON, JSON_LD = "application/json", "application/ld+json"
JSON_TYPES = (JSON, JSON_LD)
OFFERED = (*JSON_TYPES, "text/html")  # a program gets JSON, a browser the page


def _public(response: Response, max_age: int) -> None:
    """Kept by any cache for ``max_age`` seconds and readable from any site (verifiers run in
    other sites' pages)."""
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.access_control_allow_origin = "*"


def _json(body: dict, mimetype: str, max_age: int = 300) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype=mimetype)
    _public(response, max_age)
    response.vary.add("Accept")
    response.headers[ROBOTS_HEADER] = NO_INDEX
    return response


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(OFFERED) in JSON_TYPES


def _not_found() -> Response:
    """Empty; like every error, never stored (core.security sets no-store on answers of 400 and more)."""
    return Response(status=404, mimetype="text/plain")


@bp.get("/ob/keys/<kid>")
@public
def ob_key(kid: str):
    jwk = profiles.key_jwk(kid)
    return _not_found() if jwk is None else _json(jwk, "application/jwk+json", 3600)


def _profile_response(body: dict | None, kind: str):
    if body is None:
        return _not_found()
    if _wants_json():
        # JSON-LD when the program names it at all, else plain JSON (also for */*).
        return _json(body, JSON_LD if JSON_LD in request.accept_mimetypes.values() else JSON)
    response = _render("verify/profile.html", switch_path=request.path, body=body, kind=kind)
    response.vary.add("Accept")
    return response


@bp.get("/ob/issuers/<int:series_id>")
@public
def ob_issuer(series_id: int):
    return _profile_response(profiles.issuer_profile(series_id), "issuer")


@bp.get("/ob/achievements/<int:series_id>")
@public
def ob_achievement(series_id: int):
    return _profile_response(profiles.achievement(series_id), "achievement")


@bp.get("/ob/images/<int:image_id>")
@public
def ob_image(image_id: int):
    image = design.public_logo(image_id)
    if image is None:
        return _not_found()
    response = Response(image.data, mimetype=image.mime_type)  # nosniff: core.security, on every answer
    _public(response, max_age=86400)
    response.cache_control.immutable = True
    return response
