"""E-mail: the outbox, rendering and sending, reminders with calendar files, warnings, the
Postausgang."""

from flask import Flask


def register(app: Flask) -> None:
    pass
