"""Absolute addresses for links that leave the site: e-mails, calendar feeds, QR codes.

Every such link is built here, from ``BASE_URL``, so one setting decides where people land, in a
request or in the background worker (which has no request to take a host from).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_base_url() -> str:
    """The public address of this installation, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under ``public_base_url()``; works
    outside a request too."""
    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
