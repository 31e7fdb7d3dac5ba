"""``flask --app wirlearn progress refresh [--series ID]``: rebuild the kept progress records."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from wirlearn.extensions import db

progress_cli = AppGroup("progress", help="Fortschritt der Teilnehmenden (gespeicherte Stände).")


@progress_cli.command("refresh")
@click.option("--series", "series_id", type=int, default=None, help="nur diese Reihe (ID)")
@click.option("--due", is_flag=True, help="nur fehlende und durch ein Terminende überholte Stände")
def refresh(series_id: int | None, due: bool) -> None:
    """Gespeicherte Fortschrittsstände neu berechnen (nach einem Import oder einer Wiederherstellung)."""
    from wirlearn.progress import kept

    count = kept.refresh(db.session, series_id, due_only=due)
    db.session.commit()
    click.echo(f"{count} Fortschrittsstände neu berechnet.")
