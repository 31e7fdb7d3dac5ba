"""``GET /api/v1/verify/{code}``: the verification as JSON, public and rate-limited."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint

from wirlearn.api import API_PREFIX
from wirlearn.api.problems import ApiProblem
from wirlearn.certificates.services import verify_url
from wirlearn.core.access import public
from wirlearn.extensions import limiter
from wirlearn.verify import services

blp = Blueprint("api_verify", __name__, url_prefix=API_PREFIX, description="Public verification of certificates")


def _limit() -> str:
    return current_app.config["RATELIMIT_VERIFY"]


@blp.route("/verify/<path:code>", methods=["GET"])
@blp.response(200, description="status (valid, expired, revoked, superseded), what the certificate shows, signature check")
@blp.alt_response(404, description="Unknown or malformed code (problem+json)")
@limiter.shared_limit(_limit, scope="verify")
@public
def verify(code: str):
    """Verify a certificate code (case-insensitive; hyphens and spaces ignored)."""
    verification = services.verify_code(code)
    if verification is None:
        raise ApiProblem(404, _("Zu diesem Code gibt es kein Zertifikat."))
    response = current_app.json.response(services.as_json(verification, verify_url))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
