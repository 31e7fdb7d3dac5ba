"""Writing messages into the outbox, in the transaction of the change that causes them.

Nothing here sends: a row is written (or not, when its ``dedup_key`` is known already) and,
where a job queue exists, the worker is told after the commit that there is something to send.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite

from wirlearn import jobs
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.mail.models import OutboxMessage

POKED = "wirlearn_mail_poked"


def _insert():
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(OutboxMessage)


def give_up_at(now):
    return now + timedelta(hours=current_app.config["MAIL_GIVE_UP_HOURS"])


def queue_message(
    kind: str,
    dedup_key: str,
    *,
    to_address: str,
    user_id: int | None = None,
    ref_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue one message; False when a message with this key exists already (then nothing is
    written). Runs in the caller's transaction: a rollback takes the message with it."""
    now = utcnow()
    statement = (
        _insert()
        .values(
            kind=kind,
            dedup_key=dedup_key[:200],
            user_id=user_id,
            to_address=to_address,
            ref_id=ref_id,
            payload=payload,
            status="queued",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            give_up_at=give_up_at(now),
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        # An INSERT's row count is only kept when asked for (psycopg reports it; SQLAlchemy drops it).
        .execution_options(preserve_rowcount=True)
    )
    queued = db.session.execute(statement).rowcount == 1
    if queued:
        poke()
    return queued


# The columns a bulk query (``queue_selected``) must select, in this order.
BULK_COLUMNS = (
    "kind",
    "dedup_key",
    "user_id",
    "to_address",
    "ref_id",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "give_up_at",
)


def queue_selected(query: Select) -> int:
    """Queue the messages a SELECT yields (columns as ``BULK_COLUMNS``) in one statement,
    skipping keys that exist: the same number of statements for 30 recipients as for 10,000,
    and nothing held in memory. The query needs a WHERE clause (SQLite's INSERT … SELECT …
    ON CONFLICT grammar)."""
    statement = (
        _insert()
        .from_select(list(BULK_COLUMNS), query)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .execution_options(preserve_rowcount=True)
    )
    count = db.session.execute(statement).rowcount or 0
    if count:
        poke()
    return count


def poke() -> None:
    """Tell the worker, once per transaction and after the commit, that mail is waiting. Without
    a job queue the worker finds it on its own (it looks every few seconds)."""
    session = db.session()
    if jobs.has_queue() and not session.info.get(POKED):
        session.info[POKED] = True
        jobs.enqueue("mail.send")


def _forget_poke(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(POKED, None)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_transaction_end", _forget_poke):
        event.listen(Session, "after_transaction_end", _forget_poke)
