"""Revocation inside the credential: W3C Bitstring Status List v1.0 lists, one sequence per
issuer, served signed at a public URL (``/ob/status/{id}``)."""

from flask import Flask


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.status import views

    app.register_blueprint(views.bp)
