"""Progress and eligibility: the coordinator's dashboard, the programme overview, the
progress API and the coordinator's own data export."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core import set_start_page
from wirlearn.core.navigation import add_nav_item, add_series_link


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn import jobs
    from wirlearn.api import register_api_blueprint
    from wirlearn.progress import api, cli, kept, views

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
    app.cli.add_command(cli.progress_cli)
    # Records a session end has overtaken are computed afresh when read; this writes them back.
    jobs.register_periodic(app, "progress.refresh_due", kept.refresh_due, every=300)
    add_nav_item(app, "progress.dashboard", _l("Mein Fortschritt"), ("coordinator",), order=10)
    add_nav_item(app, "progress.overview", _l("Programmübersicht"), ("admin", "trainer"), order=10)
    add_series_link(app, "progress.overview", _l("Fortschritt und Übersicht"), ("admin",), order=20)
    set_start_page(app, "coordinator", "progress.dashboard")
    set_start_page(app, "admin", "progress.overview")
