"""Background jobs: named jobs that the worker runs, and periodic jobs on a schedule.

A feature registers its jobs in ``register(app)``::

    jobs.register_job(app, "mail.send", send_outbox)
    jobs.register_periodic(app, "mail.reminders", queue_reminders, every=600)

and asks for one to run with ``jobs.enqueue("mail.send")``: after the current transaction
commits, never for a change that rolled back. With ``REDIS_URL`` set, the job goes into an RQ
queue on that Redis and ``flask --app wirlearn worker`` runs it; periodic jobs are enqueued by
RQ's cron scheduler inside that worker. Without Redis, ``enqueue`` runs the job in this process
right after the commit (``JOBS_RUN_INLINE``, on in development and tests) or leaves it to the
periodic jobs (production), and ``worker`` runs the periodic jobs itself. A job that must not be
lost is therefore also reachable from a periodic job that finds its work in the database.

A job is a plain function taking keyword arguments that JSON can carry; it runs in an app context,
and its transaction is committed when it returns (rolled back when it raises).
"""

from __future__ import annotations

from flask import Flask

from wirlearn.jobs.registry import enqueue, has_queue, register_job, register_periodic, run_job

__all__ = ["enqueue", "has_queue", "register", "register_job", "register_periodic", "run_job"]


def register(app: Flask) -> None:
    from wirlearn.jobs import cli

    app.cli.add_command(cli.worker_command)
