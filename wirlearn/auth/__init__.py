"""Signing in and out, sessions, passwords, two-factor sign-in and brute-force limits."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core.navigation import add_nav_item


def register(app: Flask) -> None:
    from wirlearn.api import register_api_blueprint
    from wirlearn.auth import api, cli
    from wirlearn.auth.views import register_views

    register_views(app)
    register_api_blueprint(app, api.blp)
    cli.register(app)
    add_nav_item(app, "auth.two_factor", _l("Zweiter Faktor"), ("admin", "trainer"), order=95)
