"""Offline roll call: a service worker keeps the trainer's start page, the rosters of their
sessions of the next 14 and the last 7 days and the vendored assets; marks made without a
network wait in IndexedDB and are sent through the attendance API when it returns. Signing out
clears the device's copy."""

from flask import Flask


def register(app: Flask) -> None:
    from wirlearn.offline import views

    app.register_blueprint(views.bp)
    app.after_request(views.clear_device_on_sign_out)
    app.jinja_env.globals["offline_status_texts"] = views.status_texts
