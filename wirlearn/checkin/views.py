"""Self check-in pages: the trainer's QR code with the live list (plus its JSON for polling),
the address the QR code points to, and the participant's confirmation."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from wirlearn.attendance.services import status_label
from wirlearn.auth.twofactor import qr_data_url
from wirlearn.checkin import services, tokens
from wirlearn.checkin.limits import per_address, per_user
from wirlearn.core.access import public, roles_required, signed_in
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.programme.access import require_series_work

bp = Blueprint("checkin", __name__)

# After a valid scan, signing in may take a while: the scan is remembered this long.
GRANT_SECONDS = 600
LIVE_REFRESH_SECONDS = 4


@lru_cache(maxsize=256)
def _qr(url: str) -> str:
    """The QR image of a check-in address. The address changes every 15 seconds while the
    screen asks every few: drawing it (about 14 ms) once per address is enough. A pure
    function of its argument, so each app process may keep its own copies."""
    return qr_data_url(url)


def _grants() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wirlearn.checkin-grant")


def _trainer_head(session_id: int) -> services.SessionHead:
    head = services.load_head(session_id)
    if head is None:
        abort(404)
    require_series_work(current_user, head.series.id)
    return head


def _state(head: services.SessionHead) -> dict:
    """What the trainer's screen shows right now (the page and its JSON)."""
    current = tokens.current_token(head.session.id)
    url = public_url_for("checkin.scan", session_id=head.session.id, token=current.token)
    live = services.live_list(head.session.id)
    problem = services.refusal(head)
    return {
        "open": problem is None,
        "problem": problem.message if problem else None,
        "url": url,
        "qr": _qr(url) if problem is None else None,
        "refresh_in": current.refresh_in,
        "checked_in": [
            {"name": row.name, "status": row.status, "label": status_label(row.status), "self": row.self_checked_in}
            for row in live.checked_in
        ],
        "waiting": [{"name": row.name} for row in live.waiting],
    }


@bp.get("/termine/<int:session_id>/check-in")
@roles_required("admin", "trainer")
def trainer(session_id: int):
    head = _trainer_head(session_id)
    return render_template("checkin/trainer.html", head=head, state=_state(head), refresh=LIVE_REFRESH_SECONDS)


@bp.get("/termine/<int:session_id>/check-in/stand.json")
@roles_required("admin", "trainer")
def trainer_state(session_id: int):
    return jsonify(_state(_trainer_head(session_id)))


@bp.get("/c/<int:session_id>/<token>")
@public
@per_address
def scan(session_id: int, token: str):
    """Where the QR code points: a fresh code leads on (through the sign-in if needed)."""
    head = services.load_head(session_id)
    problem = services.refusal(head)
    if problem is None and not tokens.token_valid(session_id, token):
        problem = services.CheckInError(422, services.stale_message())
    if problem is not None:
        return render_template("checkin/participant.html", head=head, problem=problem.message, result=None), problem.status
    grant = _grants().dumps(session_id)
    return redirect(url_for("checkin.confirm", session_id=session_id, grant=grant))


def _granted(session_id: int, grant: str) -> bool:
    try:
        return _grants().loads(grant, max_age=GRANT_SECONDS) == session_id
    except (SignatureExpired, BadSignature):
        return False


@bp.route("/check-in/<int:session_id>/<grant>", methods=["GET", "POST"])
@signed_in
@per_user
@per_address
def confirm(session_id: int, grant: str):
    from flask import request

    head = services.load_head(session_id)
    if head is None:
        abort(404)
    if not _granted(session_id, grant):
        problem = services.stale_message()
        return render_template("checkin/participant.html", head=head, problem=problem, result=None), 422
    if request.method == "GET":
        return render_template("checkin/participant.html", head=head, problem=None, result=None, grant=grant)
    try:
        result = services.check_in(session_id, current_user.id)
    except services.CheckInError as error:
        db.session.rollback()
        return render_template("checkin/participant.html", head=head, problem=error.message, result=None), error.status
    db.session.commit()
    return render_template("checkin/participant.html", head=head, problem=None, result=result, label=status_label(result.status))
