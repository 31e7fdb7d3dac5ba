"""wirlearn as the benchmarks run it: under gunicorn with production settings, or in this process
(test client and services) for the scale and issuing figures. Also the probes that tell whether a
feature has landed on main yet."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from bench.context import Context

# What the certificates print in their QR codes; the floor prints the same.
BASE_URL = "https://zertifikate.wir-hessen.de"


class FeatureMissing(Exception):
    """The feature a figure measures is not on main yet."""


def server_env(ctx: Context, database_url: str) -> dict[str, str]:
    """Environment for wirlearn under gunicorn: production configuration, rate limits off."""
    return {
        "WIRLEARN_ENV": "production",
        "SECRET_KEY": ctx.secret_key,
        "BASE_URL": BASE_URL,
        "MAIL_DEFAULT_SENDER": "WIR-Qualifizierung <noreply@wir-hessen.de>",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        # What production uses; unused while rate limits are off, as the contract says for benchmarks.
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "SIGNING_KEY_DIR": str(ctx.signing_key_dir),
        "LEGAL_TEXT_DIR": str(ctx.work / "legal"),
    }


def in_process_app(ctx: Context, database_url: str, **overrides: Any) -> Flask:
    """wirlearn in this process for the test client and direct service calls.

    The testing configuration, because the test client speaks plain HTTP (production's
    ``__Host-`` cookie needs HTTPS) and forms are posted without a CSRF round trip; everything
    the figures measure (queries, rendering, signing) is the same as in production."""
    from wirlearn import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": BASE_URL,
        "SIGNING_KEY_DIR": str(ctx.signing_key_dir),
        "LEGAL_TEXT_DIR": str(ctx.work / "legal"),
    } | overrides
    return create_app("testing", **settings)


def has_route(app: Flask, path: str, method: str = "GET") -> bool:
    """Whether ``path`` names a route of ``app`` (the feature serving it is on main)."""
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method=method)
    except (NotFound, MethodNotAllowed):
        return False
    return True


def endpoint_exists(app: Flask, endpoint: str) -> bool:
    return endpoint in app.view_functions


def optional(module: str, name: str) -> Callable | None:
    """``module.name`` if the feature that provides it is on main, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def require(module: str, name: str) -> Callable:
    found = optional(module, name)
    if found is None:
        raise FeatureMissing(f"{module}.{name}")
    return found
