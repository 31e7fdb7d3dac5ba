"""The steps of ``create_app``, each small."""

from __future__ import annotations

import importlib

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from wirlearn.core import catalogs, dbpool, errors, lean, migrations, security
from wirlearn.core.access import enforce_access
from wirlearn.extensions import babel, csrf, db, limiter, login_manager
from wirlearn.features import FEATURES


def select_locale() -> str:
    """German unless the visitor chose otherwise (switch in the page) or the browser asks for English."""
    languages = current_locale_choices()
    if not has_request_context():
        return languages[0]
    if lean.is_lean():  # no session, nobody signed in: the browser's languages
        return request.accept_languages.best_match(languages, default=languages[0])
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.preferred_locale in languages:
        return current_user.preferred_locale
    return request.accept_languages.best_match(languages, default=languages[0])


def current_locale_choices() -> tuple[str, ...]:
    from flask import current_app

    return tuple(current_app.config["LANGUAGES"])


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` in every route stops at 2**31-1, the range of the database's INTEGER ids: a
    larger number in a URL is a 404, not a database error (PostgreSQL refuses to compare it)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1, signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_extensions(app: Flask) -> None:
    # Before any feature adds a route, so every <int:…> uses it.
    app.url_map.converters["int"] = DatabaseIntConverter
    db.init_app(app)
    dbpool.register(app)
    migrations.init_app(
        app, directory=app.config.get("MIGRATIONS_DIR") or _migrations_dir(app), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # Each feature owns its catalog (wirlearn/<feature>/translations); tools/i18n.py keeps them.
    catalogs.ensure_compiled()
    translation_dirs = ";".join(f"{name.split('.')[-1]}/translations" for name in FEATURES)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_dirs)
    babel.init_app(app, locale_selector=select_locale)
    if any(app.config[key] for key in ("PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO", "PROXY_FIX_X_HOST")):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
            x_host=app.config["PROXY_FIX_X_HOST"],
        )


def _migrations_dir(app: Flask) -> str:
    import os

    return os.path.join(os.path.dirname(app.root_path), "migrations")


def register_features(app: Flask) -> None:
    for name in FEATURES:
        importlib.import_module(name).register(app)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_request_hooks(app: Flask) -> None:
    # Runs before the features' hooks, which may already query the database with request data.
    app.before_request_funcs.setdefault(None, []).insert(0, security.refuse_nul_bytes)
    app.before_request(enforce_access)
    app.after_request(security.add_security_headers)
    # Last: the public verification routes skip the hooks they do not need (core/lean.py).
    lean.install(app)
