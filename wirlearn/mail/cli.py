"""``flask --app wirlearn outbox send|status``."""

from __future__ import annotations

import click
from flask import Blueprint

from wirlearn.mail import services
from wirlearn.mail.sending import send_due

cli = Blueprint("mail_cli", __name__, cli_group="outbox")


@cli.cli.command("send")
@click.option("--limit", default=10000, show_default=True, help="Höchstens so viele Nachrichten in diesem Lauf")
def send_command(limit: int) -> None:
    """Fällige Nachrichten einmal senden (für cron, Tests und Rechner ohne Redis)."""
    result = send_due(limit=limit)
    click.echo(
        f"{result.sent} gesendet, {result.retrying} erneut geplant, {result.failed} fehlgeschlagen, {result.cancelled} verworfen."
    )


@cli.cli.command("status")
def status_command() -> None:
    """Wie viele Nachrichten in welchem Zustand sind."""
    counts = services.status_counts()
    for status in ("queued", "retrying", "sent", "failed", "cancelled"):
        click.echo(f"{status:10} {counts.get(status, 0)}")
