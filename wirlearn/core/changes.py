"""A database-wide change counter, for caches of results computed from many rows.

Every transaction that writes anything (but the audit trail) adds one to ``data_version.value``
as its last statement before COMMIT, so the new value becomes visible together with the data.
A cache keyed by this value can never serve a result older than the data: one statement tells
whether anything changed, in any worker process. The update comes last and right before COMMIT,
so a writer holds the row lock for no longer than the commit itself and two writers cannot
deadlock on it.

Features hook in at that moment in a fixed order: ``BEFORE_BUMP`` writes what must be written
at the commit (kept progress records no hook wrote), ``AFTER_BUMP`` stamps the rows this
transaction wrote with the new value (kept progress records: the overview re-reads only rows
stamped after the value it was built at). Stamps touch only rows the transaction has written
already, whose locks it holds, so they add no new lock order.

Writes through the ORM session are seen (objects flushed, and INSERT/UPDATE/DELETE statements
run with ``session.execute``); writes on a raw connection are not. ``flask restore`` replaces the
counter with the backup's and then moves it past every value seen before (``move_past``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from wirlearn.extensions import db

CHANGED = "wirlearn_data_changed"
# Tables whose writes change nothing a cached result shows (features add theirs with
# ``ignore_writes_to``, e.g. the mail outbox).
IGNORED_TABLES: set[str] = {"data_version", "audit_events"}


def ignore_writes_to(*tables: str) -> None:
    """Writes to ``tables`` do not move the counter: nothing a cached result shows comes from them."""
    IGNORED_TABLES.update(tables)


class DataVersion(db.Model):
    """One row (id 1), created by the migration."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def current_version() -> int | None:
    """The counter as this transaction sees it; ``None`` when the row is missing (then nothing
    may be cached)."""
    return db.session.scalar(select(DataVersion.value).where(DataVersion.id == 1))


def move_past(seen: int | None) -> None:
    """After the whole database was replaced (restore): continue the counter above any value
    seen before, so no cache keyed by an earlier value can match the restored data."""
    restored = current_version()
    if restored is None:
        return
    db.session.execute(update(DataVersion).where(DataVersion.id == 1).values(value=max(restored, seen or 0) + 1))
    db.session.commit()


def _counts(instance) -> bool:
    return getattr(instance, "__tablename__", None) not in IGNORED_TABLES


def _has_pending_changes(session: Session) -> bool:
    return (
        any(_counts(item) for item in session.new)
        or any(_counts(item) for item in session.deleted)
        or any(_counts(item) and session.is_modified(item) for item in session.dirty)
    )


@event.listens_for(Session, "after_flush")
def _remember_flushed_changes(session: Session, _context) -> None:
    if _has_pending_changes(session):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _remember_statement_changes(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in IGNORED_TABLES:
        state.session.info[CHANGED] = True


# Features that write at the commit (before_bump: e.g. kept progress records no hook wrote) or
# stamp rows with the new value (after_bump, under the counter's row lock: a reader that sees
# value V sees every row stamped with V or less, and rows stamped later carry more than V).
BEFORE_BUMP: list[Callable[[Session], None]] = []
AFTER_BUMP: list[Callable[[Session, int], None]] = []


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint is released, not the transaction committed: the real COMMIT counts
        # (CHANGED stays set), and the row lock is not taken long before it.
        return
    for write in BEFORE_BUMP:
        write(session)
    # before_commit runs before the final flush: look at pending objects too.
    if session.info.pop(CHANGED, False) or _has_pending_changes(session):
        session.flush()
        value = session.execute(
            update(DataVersion).where(DataVersion.id == 1).values(value=DataVersion.value + 1).returning(DataVersion.value)
        ).scalar_one_or_none()
        if value is not None:
            for stamp in AFTER_BUMP:
                stamp(session, value)
        session.info.pop(CHANGED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_when_the_transaction_ends(session: Session, transaction) -> None:
    # Committed (already counted) or rolled back (nothing to count); savepoints end inside it.
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


def register(_app) -> None:
    """The listeners above are installed when this module is imported; nothing per app."""
