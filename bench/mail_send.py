"""The mail figures' measured parts, each in a process of its own (clean peak memory).

python -m bench.mail_send send DATABASE_URL SIGNING_KEY_DIR SMTP_PORT
    the worker's job ``mail.send`` (what RQ runs) sends every queued message; JSON line with
    sent, seconds, resident memory before and the peak (VmHWM) after
python -m bench.mail_send floor DATABASE_URL SIGNING_KEY_DIR SMTP_PORT
    the same messages rendered first (not timed), then sent with plain smtplib over one
    connection: the floor
python -m bench.mail_send reminders DATABASE_URL
    queue the reminders due now; JSON line with queued, SQL statements, seconds, memory
"""

from __future__ import annotations

import json
import smtplib
import sys
import time


def _app(url: str, **settings):
    from bench.apps import BASE_URL
    from wirlearn import create_app

    return create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        BASE_URL=BASE_URL,
        MAIL_DEFAULT_SENDER="WIR-Qualifizierung <noreply@wir-hessen.de>",
        **settings,
    )


def send(url: str, key_dir: str, port: str) -> dict:
    from bench.memory import peak_rss_kib, reset_peak, rss_kib
    from wirlearn.jobs import runner

    app = _app(url, SIGNING_KEY_DIR=key_dir, MAIL_SERVER="127.0.0.1", MAIL_PORT=int(port))
    runner.bind(app)
    # Warm up what every worker has loaded after its first message: fonts, key, templates.
    with app.app_context():
        from sqlalchemy import select

        from wirlearn.extensions import db
        from wirlearn.mail.models import OutboxMessage
        from wirlearn.mail.sending import prepare

        first = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id).limit(1)).first()
        prepare(first)
        db.session.remove()
    reset_peak()
    before = rss_kib()
    started, cpu = time.perf_counter(), time.process_time()
    sent = runner.run("mail.send", {"limit": 100_000})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds of this process too: on a machine shared with other work they say more than the clock.
    return {
        "sent": sent,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "before_kib": before,
        "peak_kib": peak_rss_kib(),
    }


def floor(url: str, key_dir: str, port: str) -> dict:
    app = _app(url, SIGNING_KEY_DIR=key_dir)
    with app.app_context():
        from sqlalchemy import select

        from wirlearn.extensions import db
        from wirlearn.mail.models import OutboxMessage
        from wirlearn.mail.sending import prepare

        prepared = []
        for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            email, _draft = prepare(message)
            prepared.append((email.from_email, email.recipients(), email.message().as_bytes(linesep="\r\n")))
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", int(port)) as connection:
        for sender, recipients, data in prepared:
            connection.sendmail(sender, recipients, data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"sent": len(prepared), "seconds": round(elapsed, 3), "cpu_seconds": round(cpu, 3)}


def reminders(url: str) -> dict:
    from sqlalchemy import event

    from bench.memory import peak_rss_kib, reset_peak, rss_kib
    from wirlearn.core.timeutil import local_now
    from wirlearn.extensions import db
    from wirlearn.mail.reminders import queue_reminders

    app = _app(url)
    statements = []
    with app.app_context():
        db.session.execute(db.select(1))  # connect before measuring
        reset_peak()
        before = rss_kib()
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        started = time.perf_counter()
        queued = queue_reminders(local_now().replace(hour=23, minute=0))
        db.session.commit()
        elapsed = time.perf_counter() - started
    # The COMMIT is no statement SQLAlchemy sends through the cursor: these are the queries.
    return {
        "queued": queued,
        "statements": len(statements),
        "seconds": round(elapsed, 3),
        "before_kib": before,
        "peak_kib": peak_rss_kib(),
    }


def main(argv: list[str]) -> None:
    mode, *args = argv
    result = {"send": send, "floor": floor, "reminders": reminders}[mode](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
