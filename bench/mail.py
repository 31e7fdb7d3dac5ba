"""Mail figures (issue #11): queuing reminders costs the same statements and memory for 10,000
participants as for 33; sending certificate mails with their PDF through the worker's job to a
local SMTP server (aiosmtpd, its own process) against plain smtplib sending the same prepared
messages, and the worker's memory for 1,000 messages against 100.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from bench.report import Row, mib

SECTION = "mail"
GROWTH_TARGET = 1.10
MIN_RATE = 20.0  # messages per second, on 2 cores


def _measure(ctx, *args: str) -> dict:
    from bench.servers import ROOT

    completed = subprocess.run(
        [sys.executable, "-m", "bench.mail_send", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.mail_send {args[0]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _kind(ctx) -> str:
    return "postgresql" if "postgresql" in ctx.settings.kinds else ctx.settings.kinds[0]


def reminders(ctx) -> list[Row]:
    from sqlalchemy import select, update

    from bench.apps import in_process_app
    from bench.databases import LABELS, migrate
    from bench.generator import generate_programme
    from wirlearn.auth.passwords import hash_password
    from wirlearn.core.timeutil import local_today
    from wirlearn.extensions import db
    from wirlearn.programme.models import Module, Series, Session

    kind = _kind(ctx)
    small, large = ctx.settings.sizes[0], ctx.settings.sizes[-1]
    measured = {}
    for count in (small, large):
        url = ctx.databases.new(kind, f"remind{count}")
        migrate(url)
        app = in_process_app(ctx, url)
        with app.app_context():
            programme = generate_programme(count, password_hash=hash_password("bench-password"))
            db.session.execute(update(Series).where(Series.id == programme.series_id).values(reminder_hour=0))
            upcoming = db.session.scalar(
                select(Session.id)
                .join(Module, Module.id == Session.module_id)
                .where(Module.series_id == programme.series_id, Session.date > local_today())
                .order_by(Session.date)
                .limit(1)
            )
            db.session.execute(update(Session).where(Session.id == upcoming).values(date=local_today() + timedelta(days=1)))
            db.session.commit()
            db.engine.dispose()
        measured[count] = _measure(ctx, "reminders", url)
        ctx.databases.drop(url)
        ctx.log(f"reminders for {count:,} participants: {measured[count]}")
    ours, base = measured[large], measured[small]
    label = LABELS[kind]
    return [
        Row(
            SECTION,
            f"queue reminders for a session of {large:,} participants vs {small:,}: SQL statements, {label}",
            f"{ours['statements']} statements, {ours['queued']:,} queued in {ours['seconds']:.2f} s",
            f"{base['statements']} statements, {base['queued']:,} queued",
            ours["statements"] / base["statements"],
            "= 1.00× (the same statements)",
            # (withdrawn participants of the synthetic series get none; the trainers of the session do)
            ours["statements"] == base["statements"] and ours["queued"] >= 0.9 * large,
            data={"large": ours, "small": base},
        ),
        Row(
            SECTION,
            f"peak RSS queuing reminders for {large:,} participants vs {small:,}, {label}",
            f"{mib(ours['peak_kib'])} (+{mib(ours['peak_kib'] - ours['before_kib'])})",
            f"{mib(base['peak_kib'])} (+{mib(base['peak_kib'] - base['before_kib'])})",
            ours["peak_kib"] / base["peak_kib"],
            f"≤ {GROWTH_TARGET:.2f}× (flat)",
            ours["peak_kib"] <= GROWTH_TARGET * base["peak_kib"],
            data={"large": ours, "small": base},
        ),
    ]


def sending(ctx) -> list[Row]:
    from sqlalchemy import func, select, update

    from bench import certs
    from bench.databases import LABELS, migrate
    from bench.servers import ROOT
    from tests.smtp import free_port
    from wirlearn import create_app
    from wirlearn.extensions import db
    from wirlearn.mail.models import OutboxMessage

    kind = _kind(ctx)
    small, large = ctx.settings.memory_sizes
    measured, floor = {}, None
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        if sink.stdout is None or sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        for count in (small, large):
            url = ctx.databases.new(kind, f"mail{count}")
            migrate(url)
            certs.prepare(ctx, url, count)
            app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
            with app.app_context():
                queued = db.session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued")
                )
                db.engine.dispose()
            if queued != count:
                raise RuntimeError(f"expected {count} queued certificate mails, found {queued}")
            measured[count] = _measure(ctx, "send", url, str(ctx.signing_key_dir), str(port))
            ctx.log(f"worker sent {count:,} certificate mails: {measured[count]}")
            if count == large:
                _requeue(url)
                pair = _two_workers(url, str(ctx.signing_key_dir), str(port))
                ctx.log(f"two workers sent {count:,} certificate mails: {pair}")
                floor = _measure(ctx, "floor", url, str(ctx.signing_key_dir), str(port))
                ctx.log(f"smtplib floor for the same {count:,} messages: {floor}")
                with app.app_context():
                    sent = db.session.scalar(
                        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
                    )
                    db.session.execute(update(OutboxMessage).values(status="sent"))
                    db.engine.dispose()
                measured[count]["sent_rows"] = sent
            ctx.databases.drop(url)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    ours, base = measured[large], measured[small]
    rate = ours["sent"] / ours["seconds"]
    pair_rate = pair["sent"] / pair["seconds"]
    floor_rate = floor["sent"] / floor["seconds"]
    label = LABELS[kind]
    return [
        Row(
            SECTION,
            f"send {large:,} certificate mails with PDF through the worker to aiosmtpd, vs smtplib sending the same prepared messages, {label}",
            f"{rate:,.1f} messages/s ({ours['sent']:,} in {ours['seconds']:.1f} s, {_per_cpu(ours)} per CPU second)",
            f"{floor_rate:,.1f} messages/s",
            rate / floor_rate,
            f"≥ {MIN_RATE:.0f} messages/s",
            ours["sent"] == large and rate >= MIN_RATE,
            data={"worker": ours, "floor": floor},
        ),
        Row(
            SECTION,
            f"the same {large:,} mails with two worker processes (one per core), {label}",
            f"{pair_rate:,.1f} messages/s ({pair['sent']:,} in {pair['seconds']:.1f} s)",
            f"{rate:,.1f} messages/s (one worker)",
            pair_rate / rate,
            "–",
            None,
            data={"two_workers": pair},
        ),
        Row(
            SECTION,
            f"peak RSS of the worker sending {large:,} certificate mails vs {small:,}, {label}",
            f"{mib(ours['peak_kib'])} (+{mib(ours['peak_kib'] - ours['before_kib'])})",
            f"{mib(base['peak_kib'])} (+{mib(base['peak_kib'] - base['before_kib'])})",
            ours["peak_kib"] / base["peak_kib"],
            f"≤ {GROWTH_TARGET:.2f}× (flat)",
            ours["peak_kib"] <= GROWTH_TARGET * base["peak_kib"],
            data={"large": ours, "small": base},
        ),
    ]


def _per_cpu(measured: dict) -> str:
    cpu = measured.get("cpu_seconds")
    return f"{measured['sent'] / cpu:,.1f}" if cpu else "–"


def _requeue(url: str) -> None:
    """Every message back to "queued", as before the first worker ran."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE outbox_messages SET status = 'queued', attempts = 0, sent_at = NULL, locked_until = NULL, "
                "claimed_by = NULL, next_attempt_at = created_at"
            )
        )
    engine.dispose()


def _two_workers(url: str, key_dir: str, port: str) -> dict:
    """Two sending processes at once on the same outbox: the leases keep them apart."""
    import time

    from bench.servers import ROOT

    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.mail_send", "send", url, key_dir, port], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, _err = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise RuntimeError("a sending process failed")
        results.append(json.loads(out.strip().splitlines()[-1]))
    # Each process times its own sending (after start-up and warm-up); together they took the longer.
    return {
        "sent": sum(item["sent"] for item in results),
        "seconds": max(item["seconds"] for item in results),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "each": results,
    }


def run(ctx) -> list[Row]:
    return reminders(ctx) + sending(ctx)
