"""The JSON API v1: bearer tokens, problem+json errors and the OpenAPI document.

flask-smorest generates the OpenAPI 3 document from the blueprints and their marshmallow
schemas. Features add their endpoints with ``register_api_blueprint(app, blp)``.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

API_PREFIX = "/api/v1"


def register_api_blueprint(app: Flask, blueprint) -> None:
    from wirlearn.extensions import csrf

    # Bearer tokens are not sent by browsers on their own, so CSRF does not apply; the API
    # refuses cookie-only writes (see api.auth).
    csrf.exempt(blueprint)
    app.extensions["wirlearn_api"].register_blueprint(blueprint)


def register(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "wirlearn API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    spec_kwargs = {
        "info": {
            "description": "Attendance, assessments, progress and certificates of a qualification series. "
            "Errors are application/problem+json (RFC 9457).",
        },
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }
    api = Api(app, spec_kwargs=spec_kwargs)
    app.extensions["wirlearn_api"] = api

    from wirlearn.api import views

    register_api_blueprint(app, views.blp)
