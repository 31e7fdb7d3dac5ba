"""Administering people (admins only) and the user CLI."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core.navigation import add_nav_item


def register(app: Flask) -> None:
    from wirlearn.users import cli, views

    app.register_blueprint(views.bp)
    app.register_blueprint(cli.cli)
    add_nav_item(app, "users.index", _l("Personen"), ("admin",), order=80)
