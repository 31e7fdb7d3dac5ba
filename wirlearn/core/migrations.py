"""Flask-Migrate, bound to the app only when something uses it.

Flask-Migrate brings Alembic and its templates: about 11 MiB in every process that imports it
(bench: memory). A web worker never migrates, so ``create_app`` leaves a stand-in in
``app.extensions["migrate"]`` and a ``flask db`` command group that load the real thing on first
use: ``flask db upgrade``, ``flask_migrate.upgrade()`` in tests and tools, and Alembic's
``migrations/env.py`` all work as before.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask


class LazyMigrate:
    """Stands in for Flask-Migrate's config in ``app.extensions["migrate"]`` until first use."""

    def __init__(self, app: Flask, **options: Any):
        self._app = app
        self._options = options

    def load(self):
        from flask_migrate import Migrate

        from wirlearn.extensions import db

        if self._app.extensions.get("migrate") is self:
            # Replaces this stand-in with Flask-Migrate's own config (and adds its `db` group).
            Migrate().init_app(self._app, db, **self._options)
        return self._app.extensions["migrate"]

    def __getattr__(self, name: str):
        return getattr(self.load(), name)


class LazyDbGroup(click.Group):
    """``flask db …``: Flask-Migrate's command group, imported when the command line runs it."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as group

        return group

    def make_context(self, info_name, args, parent=None, **extra):
        # The context belongs to the real group, so click invokes it (options, callback, commands).
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)


def init_app(app: Flask, **options: Any) -> None:
    app.extensions["migrate"] = LazyMigrate(app, **options)
    app.cli.add_command(LazyDbGroup("db", help="Perform database migrations."))
