"""Count the SQL statements a block of code sends (for "fixed number of queries" tests)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        self.statements.append(statement)


@contextmanager
def count_queries(engine):
    """``with count_queries(db.engine) as counter: ...``; then ``counter.count``."""
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
