"""Demo data: ``flask --app wirlearn seed-demo [--password PW]``."""

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--password", default=None, help="Passwort aller Demo-Zugänge (Standard: wirlearn-demo)")
    def seed_demo_command(password):
        """Demo-Programm anlegen (33 Gebietskörperschaften, 32 Koordinator/innen, eine Reihe)."""
        from wirlearn.demo.data import DEMO_PASSWORD
        from wirlearn.demo.seed import seed_demo
        from wirlearn.extensions import db

        if app.config["WIRLEARN_ENV"] == "production" and password in (None, DEMO_PASSWORD):
            raise click.ClickException("In Produktion nur mit eigenem --password.")
        result = seed_demo(password or DEMO_PASSWORD)
        db.session.commit()
        click.echo("Demo-Daten angelegt." if result.created else "Demo-Daten sind bereits vorhanden; nichts geändert.")
        click.echo(f"Demo-Zugänge (Passwort: {'wie angegeben' if password else DEMO_PASSWORD}):")
        for email, role in result.logins:
            click.echo(f"  {role:<12} {email}")
