"""CLI: ``backup FILE``, ``restore FILE``, ``purge``."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from wirlearn.core import changes
from wirlearn.extensions import db
from wirlearn.ops import backup as backups
from wirlearn.ops import retention


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Die ganze Datenbank in FILE sichern (SQLite: Online-Backup; PostgreSQL: pg_dump)."""
    try:
        result = backups.backup(db.engine.url, file, _encryption())
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    how = ", verschlüsselt" if result.encrypted else ""
    size = f"{result.size:,}".replace(",", ".")
    click.echo(f"Gesichert ({result.engine}{how}, {size} Bytes): {result.path}")
    if not result.encrypted:
        click.echo("Hinweis: unverschlüsselt; BACKUP_ENCRYPTION_KEY oder BACKUP_PASSPHRASE setzen, um zu verschlüsseln.")


def _encryption() -> backups.Encryption:
    config = current_app.config
    return backups.Encryption(key=config.get("BACKUP_ENCRYPTION_KEY") or None, passphrase=config.get("BACKUP_PASSPHRASE") or None)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage überschreiben.")
@with_appcontext
def restore_command(file, yes):
    """Die Datenbank durch die Sicherung in FILE ersetzen (alles, was seitdem geschah, geht verloren)."""
    if not yes:
        click.confirm("Alle Daten der Datenbank werden durch die Sicherung ersetzt. Fortfahren?", abort=True)
    seen = _version_or_none()
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old content
    try:
        revision = backups.restore(db.engine.url, file, _encryption())
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    if _version_or_none() is not None:
        changes.move_past(seen)  # running workers must not reuse results cached before
    click.echo(f"Wiederhergestellt aus {file} (Schema-Stand {revision}).")
    click.echo("Falls die Sicherung älter ist als diese Version: flask --app wirlearn db upgrade")


def _version_or_none() -> int | None:
    """The change counter, or None where the database has no such table (yet)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return changes.current_version()
    except SQLAlchemyError:
        db.session.rollback()
        return None


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, was gelöscht würde.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Stichtag (Standard: heute).")
@with_appcontext
def purge_command(dry_run, today):
    """Personenbezogene Daten nach Ablauf der Aufbewahrungsfristen anonymisieren bzw. löschen."""
    from wirlearn.core.timeutil import local_today

    day: date = today.date() if today else local_today()
    result = retention.purge(day, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    config = current_app.config
    verb = "würden" if dry_run else "wurden"
    click.echo(f"Stichtag {day:%d.%m.%Y}{' (Probelauf, nichts geändert)' if dry_run else ''}:")
    click.echo(
        f"  {len(result.anonymised_user_ids)} Teilnehmende ohne Zertifikat {verb} anonymisiert "
        f"(Frist {config['RETENTION_DAYS_PARTICIPANTS']} Tage nach Ende der Reihe)."
    )
    click.echo(
        f"  {result.notes_cleared} Anwesenheitsnotizen und {result.feedback_cleared} Rückmeldungen {verb} geleert "
        f"(Frist {config['RETENTION_DAYS_NOTES']} Tage)."
    )
    click.echo(
        f"  {result.roster_keys_deleted} technische Absendeschlüssel {verb} gelöscht (Frist {config['RETENTION_DAYS_ROSTER_KEYS']} Tage)."
    )


def register(app: Flask) -> None:
    for command in (backup_command, restore_command, purge_command):
        app.cli.add_command(command)
