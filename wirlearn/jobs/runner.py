"""What RQ calls: ``run(name, kwargs)`` runs a registered job inside the app.

The worker binds its app once (``bind``); a process without one (an RQ worker started by hand)
builds it from the environment on first use.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

_app: Flask | None = None


def bind(app: Flask) -> None:
    global _app
    _app = app


def app() -> Flask:
    global _app
    if _app is None:
        from wirlearn import create_app

        _app = create_app()
    return _app


def run(name: str, kwargs: dict[str, Any] | None = None) -> Any:
    from wirlearn.jobs.registry import run_job

    with app().app_context():
        return run_job(name, kwargs)
