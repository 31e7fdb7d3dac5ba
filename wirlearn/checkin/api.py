"""JSON API of the self check-in: the trainer's current token, the participant's check-in."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.api.problems import ApiProblem
from wirlearn.api.schemas import ProblemSchema
from wirlearn.checkin import services, tokens
from wirlearn.checkin.limits import per_address, per_user
from wirlearn.core.access import api_roles
from wirlearn.extensions import db
from wirlearn.programme.access import can_work_on_series

blp = Blueprint("api_checkin", __name__, url_prefix=API_PREFIX, description="Self check-in with a rotating token")


class CheckInTokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "show it as the QR code (or send it with POST …/checkin)"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds until the token is refused"})
    refresh_in = fields.Integer(metadata={"description": "seconds until the next token is current"})
    url = fields.String(metadata={"description": "the address the QR code carries"})


class CheckInRequestSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CheckInResultSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["present", "late", "excused", "absent"]})
    recorded = fields.Boolean(required=True, metadata={"description": "false: a mark existed already and was kept"})


@blp.route("/sessions/<int:session_id>/checkin-token")
class CheckInToken(MethodView):
    @blp.response(200, CheckInTokenSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not a trainer of the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such session")
    @api_roles("admin", "trainer")
    def get(self, session_id: int):
        """The current check-in token of a session (changes every 15 seconds)."""
        from wirlearn.core.urls import public_url_for

        head = services.load_head(session_id)
        if head is None:
            raise ApiProblem(404, _("Diesen Termin gibt es nicht."))
        if not can_work_on_series(api_user(), head.series.id):
            raise ApiProblem(403, _("Sie sind dieser Reihe nicht als Trainer/in zugeordnet."))
        current = tokens.current_token(session_id)
        return {
            "token": current.token,
            "expires_in": current.expires_in,
            "refresh_in": current.refresh_in,
            "url": public_url_for("checkin.scan", session_id=session_id, token=current.token),
        }


@blp.route("/sessions/<int:session_id>/checkin")
class CheckIn(MethodView):
    decorators = [per_user, per_address]

    @blp.arguments(CheckInRequestSchema)
    @blp.response(200, CheckInResultSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not enrolled in the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such session")
    @blp.alt_response(
        422, schema=ProblemSchema, description="Expired token, token of another session, or the session is not running"
    )
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts (per person and per address)")
    @api_roles()
    def post(self, data, session_id: int):
        """Check the caller in: present, or late after the series' minute. Each person once;
        an existing mark (also a trainer's) is kept."""
        head = services.load_head(session_id)
        problem = services.refusal(head)
        if problem is None and not tokens.token_valid(session_id, data["token"]):
            problem = services.CheckInError(422, services.stale_message())
        if problem is not None:
            raise ApiProblem(problem.status, problem.message)
        try:
            result = services.check_in(session_id, api_user().id)
        except services.CheckInError as error:
            db.session.rollback()
            raise ApiProblem(error.status, error.message) from error
        db.session.commit()
        return {"status": result.status, "recorded": result.recorded}
