"""Absolute public addresses: the one place that decides where links, QR codes and credentials point.

In production ``BASE_URL`` is required (https). In development, when it is not set, addresses
follow the host and port the request came to, so ``PORT=8080 make run`` hands out links that
work; outside a request (CLI) they point to ``http://127.0.0.1:$PORT``.
"""

from __future__ import annotations

import os

from flask import current_app, has_request_context, request, url_for


def base_url() -> str:
    """The public address of this installation, without a trailing slash."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"


def public_url(path: str) -> str:
    """``path`` (starting with "/") under the public address."""
    return base_url() + path


def public_url_for(endpoint: str, **values) -> str:
    """``url_for`` as an absolute public address, also outside a request (CLI, jobs)."""
    if has_request_context():
        return public_url(url_for(endpoint, **values))
    with current_app.test_request_context(base_url=base_url()):
        return public_url(url_for(endpoint, **values))
