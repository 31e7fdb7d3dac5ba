"""Talking to a platform over HTTPS: the one seam the tests' fake platform answers through.

``requests`` (already how most Python talks HTTP) with short timeouts; every failure becomes a
``PlatformError`` with a message an admin can act on, never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import requests

TIMEOUT = (5, 15)  # connect, read (seconds)
USER_AGENT = "wirlearn-lti/1"


class PlatformError(Exception):
    """The platform could not be reached or answered something unusable."""


def _check(response: requests.Response, url: str) -> requests.Response:
    if response.status_code >= 400:
        raise PlatformError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response


def _json(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise PlatformError(f"{url} did not answer JSON") from error


def request(method: str, url: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
    if not url.lower().startswith(("https://", "http://")):
        raise PlatformError(f"not a web address: {url[:100]}")
    try:
        response = requests.request(
            method, url, headers={"User-Agent": USER_AGENT, **(headers or {})}, timeout=TIMEOUT, allow_redirects=False, **kwargs
        )
    except requests.RequestException as error:
        raise PlatformError(f"{url}: {type(error).__name__}") from error
    return _check(response, url)


def get_json(url: str, *, headers: dict | None = None) -> tuple[Any, requests.Response]:
    response = request("GET", url, headers=headers)
    return _json(response, url), response


def post_form(url: str, data: dict) -> Any:
    return _json(request("POST", url, data=data, headers={"Accept": "application/json"}), url)


def send_json(method: str, url: str, payload: Any, *, content_type: str = "application/json", headers: dict | None = None) -> Any:
    """``payload`` as JSON with the media type the service asks for (AGS: its own types)."""
    body = json.dumps(payload).encode()
    response = request(method, url, data=body, headers={"Content-Type": content_type, **(headers or {})})
    return _json(response, url) if response.content else None
