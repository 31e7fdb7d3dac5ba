"""The committed migrations build the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from wirlearn import create_app
from wirlearn.extensions import db


@pytest.fixture
def empty_app(databases):
    url = databases.create("migrations")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


def table_names(app):
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_creates_every_model_table(empty_app):
    with empty_app.app_context():
        assert table_names(empty_app) == set()
        upgrade()
        assert table_names(empty_app) == set(db.metadata.tables)


def test_downgrade_to_base_and_up_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert table_names(empty_app) == set()
        upgrade()
        assert table_names(empty_app) == set(db.metadata.tables)


def test_models_and_migrations_agree(empty_app):
    """A model change without its migration fails here."""
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []


def test_single_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "migrations")
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_audit_table_is_append_only_in_the_database(ctx, statement):
    from wirlearn.audit.services import record

    record("test.event", "thing", 1)
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1


def test_foreign_keys_are_checked_on_every_database(ctx):
    """A row pointing at nothing is refused, on SQLite too (it checks only when asked to)."""
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(
            text("INSERT INTO enrollments (series_id, user_id, status, enrolled_at) VALUES (999, 999, 'active', '2026-01-01')")
        )
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM enrollments")).scalar() == 0


def test_foreign_keys_are_still_checked_after_migrating(empty_app):
    """Migrations switch the check off for their own connection only; the pool gets it back on."""
    from sqlalchemy.exc import IntegrityError

    with empty_app.app_context():
        upgrade()
        with pytest.raises(IntegrityError):
            db.session.execute(
                text("INSERT INTO enrollments (series_id, user_id, status, enrolled_at) VALUES (1, 1, 'active', '2026-01-01')")
            )
            db.session.flush()
        db.session.rollback()
