"""Signing in and out, sessions, passwords."""

from flask import Flask


def register(app: Flask) -> None:
    from wirlearn.auth.views import register_views

    register_views(app)
