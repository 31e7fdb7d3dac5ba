"""Issuing, signing and revoking certificates."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn import signals
    from wirlearn.api import register_api_blueprint
    from wirlearn.certificates import api, automatic, cli, design_views, sharing, views
    from wirlearn.core.navigation import add_nav_item, add_series_link

    app.register_blueprint(views.bp)
    app.register_blueprint(design_views.bp)
    app.add_template_global(sharing.linkedin_url_for_code, "certificate_linkedin_url")
    register_api_blueprint(app, api.blp)
    app.cli.add_command(cli.issue_certificates)
    app.cli.add_command(cli.keys_cli)
    app.cli.add_command(cli.certificates_cli)
    add_series_link(app, "certificates.series_certificates", _l("Zertifikate"), ("admin",), order=40)
    add_nav_item(app, "certificates.mine", _l("Meine Zertifikate"), ("coordinator",), order=60)
    signals.attendance_saved.connect(automatic.on_attendance_saved)
    signals.assessment_recorded.connect(automatic.on_assessment_recorded)
