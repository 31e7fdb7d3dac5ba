"""The named jobs of this app, how one is run, and how one is queued."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from wirlearn.extensions import db

log = logging.getLogger(__name__)

AFTER_COMMIT = "wirlearn_jobs_after_commit"
# How long one job may run before RQ stops it (a drain of the outbox is bounded well below).
JOB_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Periodic:
    name: str
    every: int  # seconds


@dataclass
class JobRegistry:
    jobs: dict[str, Callable[..., Any]] = field(default_factory=dict)
    periodic: list[Periodic] = field(default_factory=list)


def registry(app: Flask | None = None) -> JobRegistry:
    app = app or current_app
    return app.extensions.setdefault("wirlearn_jobs", JobRegistry())


def register_job(app: Flask, name: str, func: Callable[..., Any]) -> None:
    """Make ``func`` runnable by name (``enqueue(name, **kwargs)``)."""
    jobs = registry(app).jobs
    if name in jobs and jobs[name] is not func:
        raise ValueError(f"job {name!r} is registered twice")
    jobs[name] = func


def register_periodic(app: Flask, name: str, func: Callable[[], Any], *, every: int) -> None:
    """Run ``func`` every ``every`` seconds in the worker. A periodic job must be idempotent:
    several workers may each run it, and a run may be repeated after a crash."""
    register_job(app, name, func)
    registry(app).periodic.append(Periodic(name, every))


def run_job(name: str, kwargs: dict[str, Any] | None = None) -> Any:
    """Run a registered job in the current app context and commit its transaction."""
    func = registry().jobs.get(name)
    if func is None:
        raise LookupError(f"no job named {name!r}")
    try:
        result = func(**(kwargs or {}))
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


# --- queuing ----------------------------------------------------------------------------------


def redis_connection(app: Flask | None = None):
    """The Redis of the job queue (``REDIS_URL``), or None when none is configured."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    state = app.extensions.setdefault("wirlearn_jobs_redis", {})
    if url not in state:
        from redis import Redis

        state[url] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    return state[url]


def queue(app: Flask | None = None):
    """The RQ queue jobs go into, or None without Redis."""
    app = app or current_app
    connection = redis_connection(app)
    if connection is None:
        return None
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=connection, default_timeout=JOB_TIMEOUT_SECONDS)


def has_queue() -> bool:
    """Whether jobs go to a worker (Redis configured) rather than running in this process."""
    return bool(current_app.config.get("REDIS_URL"))


def enqueue(name: str, **kwargs: Any) -> None:
    """Run job ``name`` with ``kwargs`` once the current transaction has committed (at once when
    none is open). Nothing runs for a transaction that rolls back."""
    if name not in registry().jobs:
        raise LookupError(f"no job named {name!r}")
    app = current_app._get_current_object()
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(AFTER_COMMIT, []).append((app, name, kwargs))
    else:
        _dispatch(app, name, kwargs)


def _dispatch(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    target = queue(app)
    if target is not None:
        try:
            target.enqueue("wirlearn.jobs.runner.run", name, kwargs, result_ttl=3600, failure_ttl=7 * 24 * 3600)
        except OSError as error:  # redis' ConnectionError is an OSError
            # The work itself is not lost: jobs read their input from the database, and the
            # periodic jobs pick it up when Redis is back.
            log.warning("job %s not queued, Redis unreachable: %s", name, error)
        return
    if not app.config.get("JOBS_RUN_INLINE", True):
        # No queue and no running in requests (production without Redis): the worker's periodic
        # jobs find the work in the database.
        log.info("job %s left to the worker's periodic jobs (no Redis)", name)
        return
    # No queue: run here, in an app context of its own (and so a database session of its own).
    with app.app_context():
        try:
            run_job(name, kwargs)
        except Exception:  # the caller's change is committed; a failed follow-up job must not undo the answer
            log.exception("job %s failed", name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy also calls after_commit when a savepoint is released; the change is not
        # committed yet, and the outer transaction may still roll back.
        return
    pending = session.info.pop(AFTER_COMMIT, None)
    for app, name, kwargs in pending or ():
        _dispatch(app, name, kwargs)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)
