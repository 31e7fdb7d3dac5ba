"""``flask --app wirlearn lti register|list|rotate-key|send-scores``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from wirlearn.extensions import db
from wirlearn.lti import grades, keys, platforms
from wirlearn.lti.models import LtiPlatform

lti_cli = AppGroup("lti", help="LTI 1.3: Lernplattformen (Moodle, ILIAS) registrieren und verwalten.")


@lti_cli.command("register")
@click.option("--issuer", required=True, help="Aussteller (Issuer) der Plattform, z. B. https://moodle.example.org")
@click.option("--client-id", required=True, help="Client-ID, die die Plattform für wirlearn vergeben hat")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Deployment-ID (mehrfach möglich)")
@click.option("--auth-url", required=True, help="Authentifizierungs-URL (OIDC) der Plattform")
@click.option("--token-url", required=True, help="Token-URL (OAuth 2) der Plattform")
@click.option("--jwks-url", required=True, help="Adresse der öffentlichen Schlüssel (JWKS) der Plattform")
@click.option("--name", default=None, help="Anzeigename (Voreinstellung: der Aussteller)")
def register_command(issuer, client_id, deployment_ids, auth_url, token_url, jwks_url, name) -> None:
    """Eine Lernplattform registrieren (wie unter Verwaltung → Lernplattformen)."""
    values = platforms.PlatformValues(
        name=name or issuer,
        issuer=issuer,
        client_id=client_id,
        deployment_ids=platforms.parse_deployment_ids(" ".join(deployment_ids)),
        auth_login_url=auth_url,
        token_url=token_url,
        jwks_url=jwks_url,
    )
    try:
        platform = platforms.create(values)
    except platforms.RegistrationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    from wirlearn.lti.views import tool_urls

    click.echo(f"Registriert: {platform.name} (Nr. {platform.id}).")
    click.echo("In der Lernplattform eintragen:")
    for label, url in tool_urls().items():
        click.echo(f"  {label:8} {url}")


@lti_cli.command("list")
def list_command() -> None:
    """Die registrierten Lernplattformen."""
    for platform in db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)):
        click.echo(
            f"{platform.id:4}  {platform.status:7}  {platform.issuer}  {platform.client_id}  {','.join(platform.deployment_ids)}"
        )


@lti_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Einen neuen Signaturschlüssel für LTI erzeugen (der alte bleibt im JWKS)."""
    from wirlearn.audit.services import record

    key = keys.rotate()
    record("lti.key_rotated", "lti_tool_key", key.id, after={"kid": key.kid})
    db.session.commit()
    click.echo(f"Neuer Schlüssel: {key.kid}")


@lti_cli.command("send-scores")
def send_scores_command() -> None:
    """Fällige Ergebnisse einmal an die Lernplattformen senden."""
    counts = grades.send_due()
    db.session.commit()
    click.echo(f"{counts['sent']} gesendet, {counts['failed']} fehlgeschlagen (werden erneut versucht).")
