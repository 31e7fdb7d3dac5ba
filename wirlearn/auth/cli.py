"""CLI: ``totp rotate-key`` re-encrypts every stored TOTP secret with the first configured key."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import text

from wirlearn.core import encryption
from wirlearn.extensions import db


@click.group("totp")
def totp_group():
    """Zweiter Faktor (TOTP): Verschlüsselung der gespeicherten Geheimnisse."""


@totp_group.command("rotate-key")
@with_appcontext
def rotate_key_command():
    """Alle TOTP-Geheimnisse mit dem ersten Schlüssel aus TOTP_ENCRYPTION_KEYS neu verschlüsseln."""
    rows = db.session.execute(text("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")).all()
    try:
        for user_id, stored in rows:
            db.session.execute(
                text("UPDATE users SET totp_secret = :value WHERE id = :id"), {"value": encryption.rotate(stored), "id": user_id}
            )
    except encryption.EncryptionKeyError as error:
        db.session.rollback()
        raise click.ClickException(
            "Ein gespeichertes Geheimnis lässt sich mit keinem Schlüssel aus TOTP_ENCRYPTION_KEYS entschlüsseln; "
            "nichts geändert. Den bisherigen Schlüssel hinten in der Liste lassen."
        ) from error
    db.session.commit()
    click.echo(f"{len(rows)} TOTP-Geheimnisse mit dem ersten Schlüssel neu verschlüsselt.")
    click.echo("Ältere Schlüssel können jetzt aus TOTP_ENCRYPTION_KEYS entfernt werden.")


def register(app: Flask) -> None:
    app.cli.add_command(totp_group)
