"""``flask --app wirlearn issue-certificates --series ID`` and ``flask --app wirlearn keys …``."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from wirlearn.certificates import batch, keys
from wirlearn.extensions import db
from wirlearn.programme.models import Series


@click.command("issue-certificates")
@click.option("--series", "series_id", type=int, required=True, help="ID der Reihe")
@with_appcontext
def issue_certificates(series_id: int) -> None:
    """Zertifikate für alle berechtigten Teilnehmenden einer Reihe ausstellen."""
    series = db.session.get(Series, series_id)
    if series is None:
        raise click.ClickException(f"Keine Reihe mit der ID {series_id}.")
    todo = batch.candidates(series_id)
    if not todo:
        click.echo("Niemand wartet auf ein Zertifikat: alle Berechtigten haben schon eines.")
        return
    click.echo(f"{series.title}: {len(todo)} Zertifikat(e) auszustellen.")
    issued, failed = 0, []
    # One certificate at a time, committed before the next: nothing is collected in memory.
    steps = batch.issue_all(series_id, issued_by_id=None, selected=todo)
    with click.progressbar(steps, length=len(todo), label="Ausstellen", show_pos=True, item_show_func=_label) as bar:
        for step in bar:
            if step.ok:
                issued += 1
            else:
                failed.append(step)
    click.echo(f"Ausgestellt: {issued}.")
    for step in failed:
        click.echo(f"Nicht ausgestellt: {step.name}: {step.message}", err=True)
    if failed:
        raise SystemExit(1)


def _label(step) -> str | None:
    return step.name if step is not None else None


keys_cli = AppGroup("keys", help="Signaturschlüssel der Zertifikate (RSA 3072).")


@keys_cli.command("generate")
def keys_generate() -> None:
    """Einen Schlüssel erzeugen, falls noch keiner da ist, und registrieren."""
    try:
        existed = keys.key_path().exists() or bool(_configured_pem())
        loaded = keys.signing_key()
    except keys.SigningKeyError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    verb = "Vorhanden" if existed else "Erzeugt"
    click.echo(f"{verb}: Schlüssel {loaded.kid} ({loaded.source}).")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Einen neuen Schlüssel erzeugen; der bisherige signiert nicht mehr, bleibt aber im JWKS."""
    try:
        old, new = keys.rotate()
    except keys.SigningKeyError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Neuer Schlüssel: {new.kid} ({new.source}).")
    if old:
        click.echo(f"Zurückgezogen: {old} (bleibt im JWKS, damit ältere Zertifikate prüfbar bleiben).")


@keys_cli.command("list")
def keys_list() -> None:
    """Alle registrierten öffentlichen Schlüssel."""
    from sqlalchemy import select

    from wirlearn.certificates.models import SigningKey

    for row in db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)):
        state = f"zurückgezogen {row.retired_at:%d.%m.%Y}" if row.retired_at else "aktiv"
        click.echo(f"{row.kid}  {row.created_at:%d.%m.%Y}  {state}")


def _configured_pem() -> str | None:
    from flask import current_app

    return current_app.config.get("SIGNING_KEY_PEM")


certificates_cli = AppGroup("certificates", help="Ausgestellte Zertifikate pflegen.")


@certificates_cli.command("re-sign")
def certificates_resign() -> None:
    """Zertifikate ohne Statuslisten-Eintrag neu signieren (gleicher Code, gleiches Datum)."""
    from sqlalchemy import select

    from wirlearn.certificates import services
    from wirlearn.certificates.models import Certificate

    ids = db.session.scalars(select(Certificate.id).where(Certificate.status_list_id.is_(None)).order_by(Certificate.id)).all()
    done = 0
    for certificate_id in ids:
        certificate = db.session.get(Certificate, certificate_id)
        try:
            changed = services.resign_certificate(certificate)
        except (services.CertificateError, keys.SigningKeyError) as error:
            db.session.rollback()
            raise click.ClickException(f"{certificate.code}: {error}") from error
        db.session.commit()  # one certificate per transaction: an interruption loses nothing
        done += int(changed)
    click.echo(f"Neu signiert: {done} Zertifikat(e).")
