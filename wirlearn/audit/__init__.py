"""The audit trail: append-only events, and the admin page that lists and filters them."""

from flask import Flask


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
