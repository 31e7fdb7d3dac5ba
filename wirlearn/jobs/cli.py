"""``flask --app wirlearn worker``: runs queued jobs and the periodic ones."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from wirlearn.jobs import runner
from wirlearn.jobs.registry import JOB_TIMEOUT_SECONDS, queue, redis_connection, registry, run_job

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Alles Anstehende erledigen, dann beenden (statt weiterzulaufen).")
@click.option(
    "--poll", default=5.0, show_default=True, help="Ohne Redis: Sekunden zwischen zwei Blicken auf fällige periodische Aufgaben."
)
@with_appcontext
def worker_command(burst: bool, poll: float) -> None:
    """Hintergrundarbeit ausführen: E-Mails senden, Erinnerungen und andere geplante Aufgaben."""
    app = current_app._get_current_object()
    runner.bind(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    connection = redis_connection(app)
    if connection is None:
        click.echo("wirlearn worker: ohne Redis (REDIS_URL leer) – periodische Aufgaben laufen in diesem Prozess.")
        run_without_queue(app, burst=burst, poll=poll)
        return
    from rq import SimpleWorker
    from rq.cron import CronScheduler

    jobs_queue = queue(app)
    cron = CronScheduler(connection=connection, name=f"wirlearn-cron-{jobs_queue.name}-{id(app)}")
    for item in registry(app).periodic:
        cron.register(
            runner.run,
            jobs_queue.name,
            args=(item.name, {}),
            interval=item.every,
            job_timeout=JOB_TIMEOUT_SECONDS,
            name=item.name,
        )
    cron.enqueue_jobs()  # every periodic job once at start (RQ's rule for interval jobs)
    if not burst:
        threading.Thread(target=_cron_loop, args=(cron,), name="wirlearn-cron", daemon=True).start()
    click.echo(f"wirlearn worker: Warteschlange {jobs_queue.name!r} auf {app.config['REDIS_URL'].split('@')[-1]}")
    # SimpleWorker runs jobs in this process (no fork per job): the app is built once, and a
    # job killed with the worker leaves its outbox rows leased, to be taken up again.
    SimpleWorker([jobs_queue], connection=connection).work(burst=burst, with_scheduler=False)


def _cron_loop(cron) -> None:
    while True:
        try:
            cron.enqueue_jobs()
            time.sleep(max(cron.calculate_sleep_interval(), 1))
        except OSError as error:  # Redis away for a moment: try again shortly
            log.warning("periodic jobs not queued: %s", error)
            time.sleep(5)


def run_without_queue(app, *, burst: bool, poll: float, clock=time.monotonic, sleep=time.sleep) -> None:
    """The same periodic jobs, run here in turn (development, machines without Redis)."""
    due = dict.fromkeys((item.name for item in registry(app).periodic), 0.0)
    every = {item.name: item.every for item in registry(app).periodic}
    while True:
        for name, at in due.items():
            if clock() >= at:
                with app.app_context():
                    try:
                        run_job(name)
                    except Exception:
                        log.exception("periodic job %s failed", name)
                due[name] = clock() + every[name]
        if burst:
            return
        sleep(max(0.5, min(poll, min(due.values()) - clock())))
