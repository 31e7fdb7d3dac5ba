"""Self check-in: a rotating QR code the trainer shows in the room; participants scan it with
their phone and are marked present (or late), each once, never over a trainer's mark."""

from flask import Flask


def register(app: Flask) -> None:
    import wirlearn.models  # noqa: F401 - complete metadata
    from wirlearn.api import register_api_blueprint
    from wirlearn.checkin import api, views

    # Participants in one room share one address (the venue's network): a generous limit per
    # address, a tight one per person.
    app.config.setdefault("RATELIMIT_CHECKIN_PER_USER", "12 per minute")
    app.config.setdefault("RATELIMIT_CHECKIN_PER_ADDRESS", "300 per minute")
    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.blp)
