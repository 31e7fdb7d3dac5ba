"""Attendance rosters per session, the trainer start page, the signature list and exports."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core import set_start_page
from wirlearn.core.navigation import add_nav_item, add_series_link


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.api import register_api_blueprint
    from wirlearn.attendance import api, views

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
    add_nav_item(app, "attendance.overview", _l("Meine Termine"), ("trainer",), order=10)
    add_nav_item(app, "attendance.overview", _l("Termine und Bewertungen"), ("admin",), order=25)
    add_series_link(app, "attendance.series_overview", _l("Anwesenheit und Bewertungen"), ("admin",), order=10)
    set_start_page(app, "trainer", "attendance.overview")
