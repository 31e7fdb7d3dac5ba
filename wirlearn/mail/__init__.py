"""E-mail that reaches people: invitations, password links, certificate delivery, reminders with
calendar files, attendance warnings and trainer nudges, each person's settings and calendar
feed, and the admins' Postausgang.

Every message is a row in the outbox (``models.OutboxMessage``), written in the transaction of
the change that causes it; the worker (``flask --app wirlearn worker``, see ``wirlearn.jobs``)
renders and sends it; ``flask --app wirlearn outbox send`` drains the outbox once.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from wirlearn.core.navigation import add_nav_item

# How often the worker looks for due messages (retries) besides being told after each commit.
SEND_EVERY_WITH_QUEUE = 60
SEND_EVERY_WITHOUT_QUEUE = 3


def send_job(limit: int = 1000) -> int:
    """Job ``mail.send``: send what is due; with more waiting, queue itself again."""
    from wirlearn import jobs
    from wirlearn.mail.sending import send_due

    result = send_due(limit=limit)
    if result.handled >= limit and jobs.has_queue():
        jobs.enqueue("mail.send")
    return result.sent


def register(app: Flask) -> None:
    from flask_mailman import Mail

    from wirlearn import jobs
    from wirlearn.api import register_api_blueprint
    from wirlearn.core.changes import ignore_writes_to
    from wirlearn.mail import account, api, certificates, cli, outbox, reminders, services, views, warnings

    # Mail bookkeeping changes nothing a cached overview shows.
    ignore_writes_to("outbox_messages", "mail_preferences", "attendance_forecasts")
    outbox._listen()
    Mail(app)
    for feature in (account, certificates, reminders, warnings):
        feature.register()

    jobs.register_periodic(
        app, "mail.send", send_job, every=SEND_EVERY_WITH_QUEUE if app.config.get("REDIS_URL") else SEND_EVERY_WITHOUT_QUEUE
    )
    jobs.register_job(app, "mail.forecasts", warnings.check_forecasts)
    jobs.register_periodic(app, "mail.reminders", reminders.queue_reminders, every=600)
    jobs.register_periodic(app, "mail.nudges", warnings.queue_nudges, every=1800)
    jobs.register_periodic(app, "mail.digests", warnings.queue_digests, every=1800)
    jobs.register_periodic(app, "mail.forecasts_all", warnings.check_all_forecasts, every=900)
    jobs.register_periodic(app, "mail.prune", services.prune, every=24 * 3600)

    app.register_blueprint(views.bp)
    app.register_blueprint(cli.cli)
    register_api_blueprint(app, api.blp)
    add_nav_item(app, "mail.outbox", _l("Postausgang"), ("admin",), order=85)
    add_nav_item(app, "mail.preferences", _l("E-Mails & Kalender"), ("admin", "trainer", "coordinator"), order=97)
    app.context_processor(_dev_mail_folder)


def _dev_mail_folder() -> dict:
    """Where development keeps the .eml files (the sign-in page says so), else None."""
    from flask import current_app

    if not str(current_app.config.get("MAIL_BACKEND", "")).startswith("wirlearn.mail.backends"):
        return {"dev_mail_folder": None}
    from wirlearn.mail.backends import eml_dir

    return {"dev_mail_folder": str(eml_dir())}
