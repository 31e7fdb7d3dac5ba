"""Progress over the JSON API: the caller's own, one person's, and a whole series'."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.api.problems import ApiProblem
from wirlearn.api.schemas import ProblemSchema
from wirlearn.auth.models import User
from wirlearn.core.access import api_roles
from wirlearn.extensions import db
from wirlearn.programme.access import can_work_on_series, trainer_series_ids
from wirlearn.programme.models import Series
from wirlearn.progress import kept
from wirlearn.progress.services import MODULE_STATES, progress_for_user

blp = Blueprint("api_progress", __name__, url_prefix=API_PREFIX, description="Progress and eligibility")

ASSESSMENTS = ("passed", "failed", "pending")


class ModuleProgressSchema(Schema):
    module_id = fields.Integer(required=True)
    number = fields.Integer(required=True, metadata={"description": "1-based place in the series' module order"})
    title = fields.String(required=True)
    required = fields.Boolean(required=True)
    teaching_units = fields.Integer(required=True)
    sessions_total = fields.Integer(required=True)
    sessions_held = fields.Integer(required=True, metadata={"description": "sessions whose end is past"})
    sessions_attended = fields.Integer(required=True, metadata={"description": "held sessions counted as attended"})
    sessions_upcoming = fields.Integer(required=True)
    attendance_rate = fields.Float(allow_none=True, metadata={"description": "attended / held, 0..1; null before any session"})
    assessment = fields.String(required=True, metadata={"enum": list(ASSESSMENTS), "description": "current (highest) attempt"})
    state = fields.String(required=True, metadata={"enum": list(MODULE_STATES)})
    points = fields.Float(allow_none=True)


class ParticipantProgressSchema(Schema):
    user_id = fields.Integer(required=True)
    enrollment_id = fields.Integer(required=True)
    series_id = fields.Integer(required=True)
    name = fields.String(required=True)
    region = fields.String(allow_none=True)
    enrollment_status = fields.String(required=True, metadata={"enum": ["active", "withdrawn", "completed"]})
    attendance_rate = fields.Float(
        allow_none=True,
        metadata={"description": "attended / held over all sessions of the series, 0..1; null before any session"},
    )
    sessions_held = fields.Integer(required=True)
    sessions_attended = fields.Integer(required=True)
    min_attendance_percent = fields.Integer(required=True)
    modules = fields.List(fields.Nested(ModuleProgressSchema), required=True)
    eligible = fields.Boolean(
        required=True, metadata={"description": "every completion rule met (exactly when missing is empty)"}
    )
    reachable = fields.Boolean(
        required=True, metadata={"description": "the minimum attendance can still be met with the sessions still to come"}
    )
    missing = fields.List(
        fields.String(), required=True, metadata={"description": "one sentence per unmet rule, in the caller's language"}
    )


@blp.route("/me/progress")
@blp.response(200, ParticipantProgressSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description="Not signed in (problem+json)")
@api_roles()
def my_progress():
    """The caller's own progress, one entry per series they are enrolled in."""
    return progress_for_user(api_user().id)


@blp.route("/users/<int:user_id>/progress")
@blp.response(200, ParticipantProgressSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, description="No such person, or not one the caller may see (problem+json)")
@api_roles()
def user_progress(user_id: int):
    """One person's progress. Admins: anyone; trainers: in the series they train; everyone else:
    only themselves (another person's id answers 404, as if there were none)."""
    caller = api_user()
    not_found = ApiProblem(404, _("Diese Person gibt es nicht oder Sie dürfen ihren Fortschritt nicht sehen."))
    if caller.id != user_id and not caller.has_role("admin", "trainer"):
        raise not_found
    if db.session.get(User, user_id) is None:
        raise not_found
    results = progress_for_user(user_id)
    if caller.id == user_id or caller.has_role("admin"):
        return results
    allowed = trainer_series_ids(caller.id)
    results = [item for item in results if item.series_id in allowed]
    if not results:
        raise not_found
    return results


@blp.route("/series/<int:series_id>/progress")
@blp.response(200, ParticipantProgressSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, description="No such series, or the caller does not train in it (problem+json)")
@api_roles("admin", "trainer")
def series_progress(series_id: int):
    """Every participant of a series (withdrawn ones included), ordered by name."""
    if db.session.get(Series, series_id) is None or not can_work_on_series(api_user(), series_id):
        raise ApiProblem(404, _("Diese Reihe gibt es nicht, oder Sie sind ihr nicht als Trainer/in zugeordnet."))
    # Read from the kept records and written with orjson: the schema above documents the shape
    # (tests compare both), but dumping 10,000 × 8 modules through marshmallow took seconds and
    # the standard json module half a second (bench: scale).
    return current_app.response_class(kept.series_progress_body(series_id), mimetype="application/json")
