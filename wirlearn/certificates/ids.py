"""The addresses of everything a credential names. They are public forever (printed QR codes,
wallets, verifiers years from now): change none of these shapes.

    {BASE_URL}/ob/keys/{thumbprint}        one public JWK (the JWS header's ``kid``)
    {BASE_URL}/ob/issuers/{series id}      the issuer's OB 3.0 Profile (JSON, or HTML for browsers)
    {BASE_URL}/ob/achievements/{series id} the OB 3.0 Achievement
    {BASE_URL}/ob/status/{list id}         the signed Bitstring Status List credential
    {BASE_URL}/ob/images/{image id}        a logo named by a profile

They are built here from the base URL as strings (not ``url_for``), so they come out the same in a
request, a CLI command and a job; the routes that answer them are in ``verify`` and ``status``.
"""

from __future__ import annotations

from wirlearn.core import urls

KEY_PATH = "/ob/keys/"


def _base(base_url: str | None) -> str:
    return (base_url or urls.base_url()).rstrip("/")


def key_url(kid: str, base_url: str | None = None) -> str:
    return f"{_base(base_url)}{KEY_PATH}{kid}"


def issuer_id(series_id: int, base_url: str | None = None) -> str:
    return f"{_base(base_url)}/ob/issuers/{series_id}"


def achievement_id(series_id: int, base_url: str | None = None) -> str:
    return f"{_base(base_url)}/ob/achievements/{series_id}"


def status_list_url(list_id: int, base_url: str | None = None) -> str:
    return f"{_base(base_url)}/ob/status/{list_id}"


def image_url(image_id: int, base_url: str | None = None) -> str:
    return f"{_base(base_url)}/ob/images/{image_id}"


def thumbprint_of_kid(kid: str) -> str:
    """The key's thumbprint from a header ``kid``: the kid itself (credentials signed before kid
    became a URL) or the last segment of its URL."""
    return kid.rsplit(KEY_PATH, 1)[-1] if KEY_PATH in kid else kid
