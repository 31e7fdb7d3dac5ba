"""Databases the benchmarks create for themselves and drop again: SQLite files in a work folder,
and PostgreSQL databases named ``wirlearn_bench_<random>`` on the server in
``BENCH_POSTGRES_URL`` (default: the local server, user postgres)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from config import database_url

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class Databases:
    def __init__(self, postgres_url: str | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="wirlearn-bench-"))
        self.postgres_base = make_url(database_url(postgres_url or os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES))
        self._admin = None
        self.created: list[str] = []

    def postgres_available(self) -> bool:
        try:
            with self._admin_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except OperationalError:
            return False

    def _admin_engine(self):
        if self._admin is None:
            self._admin = create_engine(self.postgres_base, isolation_level="AUTOCOMMIT", pool_size=1)
        return self._admin

    def new(self, kind: str, label: str) -> str:
        """URL of a new, empty database: ``kind`` is "sqlite" or "postgresql"."""
        if kind == "sqlite":
            return f"sqlite:///{self.folder / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"wirlearn_bench_{label}_{uuid.uuid4().hex[:8]}"
        with self._admin_engine().connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.postgres_base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            Path(parsed.database).unlink(missing_ok=True)
            return
        with self._admin_engine().connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        if parsed.database in self.created:
            self.created.remove(parsed.database)

    def close(self) -> None:
        for name in list(self.created):
            self.drop(self.postgres_base.set(database=name).render_as_string(hide_password=False))
        if self._admin is not None:
            self._admin.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def migrate(url: str) -> None:
    """Bring the database at ``url`` to wirlearn's head revision through the migrations."""
    from flask_migrate import upgrade

    from wirlearn import create_app
    from wirlearn.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def kind_of(url: str) -> str:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
