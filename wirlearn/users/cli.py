"""CLI: create-user, import-coordinators."""

from __future__ import annotations

import sys

import click
from flask import Blueprint
from sqlalchemy import select

from wirlearn.auth.passwords import hash_password, password_problems
from wirlearn.extensions import db
from wirlearn.programme.models import Region
from wirlearn.users import services

cli = Blueprint("users_cli", __name__, cli_group=None)


@cli.cli.command("create-user")
@click.option("--email", required=True, help="E-Mail-Adresse (Anmeldename)")
@click.option("--name", "display_name", required=True, help="Anzeigename")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "trainer", "coordinator"]),
    help="Rolle (mehrfach möglich)",
)
@click.option("--region", default=None, help="Gebietskörperschaft (Name oder Kreisschlüssel) für Koordinator/innen")
@click.option("--password", default=None, help="Passwort; ohne Angabe erhält die Person eine Einladung per E-Mail")
@click.option("--no-invite", is_flag=True, help="Keine Einladung senden; der Link zum Setzen des Passworts wird ausgegeben")
def create_user_command(email, display_name, roles, region, password, no_invite):
    """Eine Person anlegen (mit Einladung per E-Mail, außer mit --password oder --no-invite)."""
    region_id = None
    if region:
        found = db.session.scalar(select(Region).where((Region.name == region) | (Region.code == region)))
        if found is None:
            raise click.ClickException(f"Gebietskörperschaft „{region}“ ist unbekannt.")
        region_id = found.id
    password_hash = None
    if password is not None:
        problems = password_problems(password, email=email, name=display_name)
        if problems:
            raise click.ClickException(" ".join(problems))
        password_hash = hash_password(password)
    try:
        user = services.create_user(
            email, display_name, set(roles), region_id, password_hash=password_hash, invite=password is None and not no_invite
        )
    except services.UserAdminError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Angelegt: {user.email} ({', '.join(sorted(user.roles))})")
    if password is None and no_invite:
        from wirlearn.auth.services import make_password_token
        from wirlearn.core.urls import public_url_for

        click.echo("Link zum Setzen des Passworts: " + public_url_for("auth.set_password", token=make_password_token(user)))
    elif password is None:
        click.echo(f"Einladung an {user.email} wird gesendet (Postausgang).")


@cli.cli.command("import-coordinators")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-invite", is_flag=True, help="Keine Einladungen per E-Mail senden")
def import_coordinators_command(csv_file, no_invite):
    """Koordinator/innen aus einer CSV-Datei (email, name, region) anlegen und einladen – alles oder nichts."""
    try:
        with open(csv_file, encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise click.ClickException("Die Datei ist nicht UTF-8-kodiert.") from error
    result = services.import_coordinators(text, invite=not no_invite)
    if result.problems:
        db.session.rollback()
        for problem in result.problems:
            click.echo(f"Zeile {problem.line}: {problem.message}", err=True)
        click.echo(f"Nichts importiert ({len(result.problems)} Fehler).", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{len(result.created)} Koordinator/innen angelegt" + ("." if no_invite else " und eingeladen."))
