"""Helpers for tests that walk every route: sample URLs for ``app.url_map`` and a snapshot of the
whole database to prove that a request wrote nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import inspect, text
from werkzeug.routing import Rule

from wirlearn.extensions import db

# Methods a route serves that tests call (HEAD and OPTIONS come with GET).
CALLED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def all_routes(app) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)):
        for method in CALLED_METHODS:
            if method in rule.methods:
                yield rule, method


def route_key(rule: Rule, method: str) -> str:
    """ "GET endpoint"; with the URL rule appended when one endpoint serves several URLs."""
    rules = [other for other in rule.map.iter_rules(rule.endpoint) if method in other.methods]
    return f"{method} {rule.endpoint}" if len(rules) == 1 else f"{method} {rule.endpoint} {rule.rule}"


class MissingSample(LookupError):
    pass


def build_url(app, rule: Rule, values: dict[str, Any]) -> str:
    """The path of ``rule`` with each argument taken from ``values`` (by argument name).

    An argument without a sample value raises MissingSample naming it: add it to the fixture
    that provides the values."""
    arguments = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue
        if name not in values:
            raise MissingSample(f"no sample value for <{name}> in {rule.rule} ({rule.endpoint})")
        arguments[name] = values[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def snapshot(app, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), to compare before and after a request. Bookkeeping is
    left out: the migration state and the change counter (tested in test_overview_freshness)."""
    with app.app_context():
        names = sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version", "data_version", *skip})
        result = {}
        with db.engine.connect() as connection:
            for name in names:
                rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()  # noqa: S608 - table names from the schema
                result[name] = sorted(tuple(str(value) for value in row) for row in rows)
        return result


def changed_tables(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [name for name in after if before.get(name) != after[name]]
