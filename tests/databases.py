"""Test databases: every test run gets its own, on SQLite (default) or on PostgreSQL.

With ``WIRLEARN_TEST_DATABASE_URL`` pointing at a PostgreSQL server (any database on it), the
run creates ``wirlearn_test_<random>`` there, migrates it once, empties it after each test and
drops it at the end. On SQLite, a migrated template file is copied for each test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import database_url


def server_url() -> str | None:
    return database_url(os.environ.get("WIRLEARN_TEST_DATABASE_URL"))


def is_postgresql() -> bool:
    url = server_url()
    return bool(url) and url.startswith("postgresql")


class PostgresDatabases:
    def __init__(self, base_url: str):
        self.base = make_url(base_url)
        self.admin_engine = create_engine(self.base, isolation_level="AUTOCOMMIT", pool_size=1)
        self.created: list[str] = []

    def create(self, prefix: str = "wirlearn_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        dispose_cleanup_engines()
        for name in list(self.created):
            self.drop(self.base.set(database=name).render_as_string(hide_password=False))
        self.admin_engine.dispose()


class SqliteDatabases:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="wirlearn-test-"))

    def create(self, prefix: str = "db") -> str:
        return f"sqlite:///{self.folder / f'{prefix}-{uuid.uuid4().hex[:12]}.sqlite3'}"

    def copy(self, source_url: str) -> str:
        target = self.create("test")
        shutil.copyfile(make_url(source_url).database, make_url(target).database)
        return target

    def drop(self, url: str) -> None:
        Path(make_url(url).database).unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


_cleanup_engines: dict[str, object] = {}


def truncate_all(url: str) -> None:
    """Empty every table of a PostgreSQL test database and restart its ids at 1, keeping the
    rows the migrations write. DELETE with row triggers off (``session_replication_role``: the
    audit log's append-only guard and the foreign keys) rather than TRUNCATE, which replaces the
    files of every table: about 300 ms per test against a few milliseconds."""
    engine = _cleanup_engines.get(url)
    if engine is None:
        engine = _cleanup_engines[url] = create_engine(url, pool_size=1)
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        sequences = connection.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars()
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{name}"' for name in tables]  # noqa: S608 - names from pg_tables
        statements += [f"SELECT setval('\"{name}\"', 1, false)" for name in sequences]
        # Back to the state right after the migrations: the change counter's one row.
        statements.append("INSERT INTO data_version (id, value) VALUES (1, 0)")
        connection.exec_driver_sql(";\n".join(statements))


def dispose_cleanup_engines() -> None:
    for engine in _cleanup_engines.values():
        engine.dispose()
    _cleanup_engines.clear()


def migrate(url: str) -> None:
    """Bring a database to the head revision through the committed migrations."""
    from flask_migrate import upgrade

    from wirlearn import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        from wirlearn.extensions import db

        db.engine.dispose()


__all__ = ["PostgresDatabases", "SqliteDatabases", "is_postgresql", "migrate", "os", "server_url", "truncate_all"]
