"""Programmes: regions, series and their rules, modules, sessions, enrollments (admin pages)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core import set_start_page
from wirlearn.core.navigation import add_nav_item


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.api import register_api_blueprint
    from wirlearn.programme import api, views

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
    add_nav_item(app, "programme.series_index", _l("Reihen"), ("admin",), order=20)
    add_nav_item(app, "programme.regions", _l("Gebietskörperschaften"), ("admin",), order=70)
    set_start_page(app, "admin", "programme.series_index")
