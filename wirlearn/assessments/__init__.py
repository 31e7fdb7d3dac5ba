"""Assessments per module: the assessment list with history, and the export."""

from flask import Flask


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.api import register_api_blueprint
    from wirlearn.assessments import api, views

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
