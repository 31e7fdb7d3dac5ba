"""Attendance rosters per session."""

from flask import Flask


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
