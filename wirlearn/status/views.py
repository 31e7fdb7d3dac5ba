"""``GET /ob/status/{id}``: the signed Bitstring Status List credential, public.

No cookie, no session, nothing about the caller logged (the access log of the server aside):
the list is the same for everyone, and fetching it tells the issuer nothing about whose
credential is being checked."""

from __future__ import annotations

from flask import Blueprint, Response

from wirlearn.core.access import public
from wirlearn.status import services

bp = Blueprint("status", __name__)

MEDIA_TYPE = "application/vc+jwt"


@bp.get("/ob/status/<int:list_id>")
@public
def status_list(list_id: int):
    token = services.signed_list(list_id)
    if token is None:  # no detail: the same empty answer for every unknown id
        return Response("", status=404, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    response = Response(token, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={services.ttl_seconds()}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
