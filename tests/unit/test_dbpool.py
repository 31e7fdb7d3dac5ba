"""Pooled connections are checked only after sitting idle, and a dead one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from wirlearn.core.dbpool import install_idle_ping


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}", pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def kill_pooled_connection(engine) -> None:
    """Close the pooled connection behind the pool's back, as a database restart would."""
    pooled = engine.raw_connection()
    dbapi_connection = pooled.dbapi_connection
    pooled.close()  # back into the pool
    dbapi_connection.close()


def test_idle_connection_is_checked_and_replaced(engine):
    install_idle_ping(engine, idle_seconds=0)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    kill_pooled_connection(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 2")).scalar() == 2


def test_connection_used_a_moment_ago_is_not_checked(engine):
    install_idle_ping(engine, idle_seconds=3600)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    kill_pooled_connection(engine)
    # No check on checkout: the dead connection is only noticed when used.
    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.execute(text("SELECT 2"))
    # The failure discards it; the next request gets a working connection.
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 3")).scalar() == 3


def test_app_engines_use_the_idle_check_instead_of_pre_ping(app):
    from wirlearn.extensions import db

    with app.app_context():
        assert not db.engine.pool._pre_ping
        names = [listener.__name__ for listener in db.engine.pool.dispatch.checkout]
        assert "ping_if_idle" in names
