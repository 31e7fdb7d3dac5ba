"""Checking pooled database connections before use, only when they have been idle.

SQLAlchemy's ``pool_pre_ping`` checks every connection on every checkout. Flask-SQLAlchemy checks
one out per request, so on PostgreSQL each request paid three extra round trips (BEGIN, SELECT 1,
ROLLBACK) — as many as the verification page's own work (bench: verification page). A connection
that was in use a moment ago is alive; one that sat idle may have been cut by a database restart,
a failover or a firewall timeout. So a connection is checked only after ``DATABASE_PING_IDLE_SECONDS``
without use, and replaced when the check fails (SQLAlchemy's documented custom pessimistic
disconnect handling). Should the database go away while connections are busy, the first request
that notices gets an error and SQLAlchemy discards the whole pool, as with any disconnect.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

LAST_USED = "wirlearn_last_used"


def install_idle_ping(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection at checkout if it has not been used for ``idle_seconds``."""
    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        last_used = record.info.get(LAST_USED)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except dbapi_error as error:
            # The pool drops this connection and retries with a fresh one.
            raise DisconnectionError(str(error)) from error

    @event.listens_for(engine, "checkin")
    def remember_use(_dbapi_connection, record):
        record.info[LAST_USED] = time.monotonic()


def enforce_sqlite_foreign_keys(engine: Engine) -> None:
    """SQLite checks foreign keys only when each connection asks for it; PostgreSQL always does.
    (Migrations switch it off for their own connection: see migrations/env.py.)"""

    @event.listens_for(engine, "connect")
    def foreign_keys_on(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()


def register(app: Flask) -> None:
    """Install the idle ping on every engine of ``app`` (call after ``db.init_app``), and foreign
    key checks on SQLite."""
    from wirlearn.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            install_idle_ping(engine, app.config["DATABASE_PING_IDLE_SECONDS"])
            if engine.dialect.name == "sqlite":
                enforce_sqlite_foreign_keys(engine)
