"""The audit trail: append-only events, and the admin page that lists and filters them."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core.navigation import add_nav_item


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.audit import views

    app.register_blueprint(views.bp)
    add_nav_item(app, "audit.index", _l("Protokoll"), ("admin",), order=80)
