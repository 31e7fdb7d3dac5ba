"""The service worker (served from the root so its scope is the whole app), the list of what it
keeps, the page it shows for anything it does not have, and the sign-out clean-up."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_login import current_user

from wirlearn.core.access import public, roles_required
from wirlearn.offline import services

bp = Blueprint("offline", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
# The page shell: what the start page and the rosters load (fonts from the vendored KERN CSS).
SHELL_ASSETS = (
    "vendor/kern/fonts/fira-sans.css",
    "vendor/kern/kern.min.css",
    "css/app.css",
    "css/trainer.css",
    "css/offline.css",
    "js/roster.js",
    "js/offline.js",
    "img/favicon.svg",
)


def shell_assets() -> list[str]:
    fonts = sorted(path.relative_to(STATIC).as_posix() for path in (STATIC / "vendor/kern/fonts/fira-sans").glob("*.woff2"))
    return [url_for("static", filename=name) for name in (*SHELL_ASSETS, *fonts)]


@bp.get("/sw.js")
@public
def service_worker():
    response = Response((STATIC / "js" / "sw.js").read_bytes(), mimetype="text/javascript")
    # Browsers check for a new worker on every navigation; never let a cache answer that.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@public
def fallback():
    """What the service worker shows for a page it does not keep."""
    return render_template("offline/fallback.html")


@bp.get("/offline/manifest.json")
@roles_required("admin", "trainer")
def manifest():
    kept = services.sessions_to_keep(current_user)
    return jsonify(
        {
            "pages": [url_for("attendance.overview"), *(url_for("attendance.roster", session_id=s.id) for s in kept)],
            "assets": [url_for("offline.fallback"), *shell_assets()],
        }
    )


def status_texts() -> dict[str, str]:
    """The attendance statuses in the page's language, for naming refused marks in the banner."""
    from wirlearn.attendance.services import STATUSES, status_label

    return {status: status_label(status) for status in STATUSES}


def clear_device_on_sign_out(response: Response) -> Response:
    """Signing out removes the kept pages, the waiting marks and the service worker from the
    device (Clear-Site-Data; browsers without it get the worker's own clean-up message)."""
    if request.endpoint == "auth.logout" and request.method == "POST" and response.status_code in (302, 303):
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
