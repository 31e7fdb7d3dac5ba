"""Operations: backup and restore of the database, and purging personal data past its retention."""

from flask import Flask


def register(app: Flask) -> None:
    from wirlearn.ops import cli

    cli.register(app)
