"""wirlearn: attendance, assessments, progress and verifiable certificates for a qualification series."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from config import CONFIGS, Config, config_from_env

__all__ = ["create_app"]


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Build the application.

    ``config`` is a class from config.py or its name ("development", "testing", "production");
    without it ``WIRLEARN_ENV`` decides. ``overrides`` replace single settings (tests use this).
    """
    app = Flask(
        __name__,
        template_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates"),
        instance_relative_config=True,
    )
    config_class = CONFIGS[config] if isinstance(config, str) else (config or config_from_env())
    app.config.from_object(config_class)
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "wirlearn.sqlite3")
    # The class's own check (production refuses default secrets, http addresses, no sender): by
    # method, not by identity, so a config module imported again still checks.
    config_class.check(app.config)

    from wirlearn.core import setup

    setup.register_extensions(app)
    setup.register_features(app)
    setup.register_errorhandlers(app)
    setup.register_request_hooks(app)
    return app
