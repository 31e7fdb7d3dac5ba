"""Shared pieces: access rules, errors, headers, formatting, navigation, and the few pages that
belong to no feature (start, language switch, privacy notice, imprint, health check)."""

from __future__ import annotations

from flask import Flask

from wirlearn.core import formatting, navigation

ROLE_PRIORITY = ("admin", "trainer", "coordinator")


def set_start_page(app: Flask, role: str, endpoint: str) -> None:
    """Where a user with ``role`` lands after signing in (the highest role wins)."""
    app.extensions.setdefault("wirlearn_start_pages", {})[role] = endpoint


def register(app: Flask) -> None:
    from wirlearn.core import changes, urls, views

    changes.register(app)
    app.add_template_global(urls.public_url, "public_url")

    app.register_blueprint(views.bp)
    formatting.register(app)
    navigation.register(app)
