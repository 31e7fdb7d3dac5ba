"""JSON API: the assessments of a module, and recording one participant's assessment."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.api.problems import ApiProblem
from wirlearn.api.schemas import ProblemSchema
from wirlearn.assessments import services
from wirlearn.assessments.models import ASSESSMENT_RESULTS
from wirlearn.assessments.services import AssessmentConflict, AssessmentEntry, AssessmentError
from wirlearn.core.access import api_roles
from wirlearn.core.timeutil import to_local_aware
from wirlearn.extensions import db
from wirlearn.programme.access import can_work_on_series

blp = Blueprint("api_assessments", __name__, url_prefix=API_PREFIX, description="Assessments per module")

MAX_INT = 2**31 - 1


class AttemptSchema(Schema):
    attempt = fields.Integer(required=True)
    result = fields.String(required=True, metadata={"enum": list(ASSESSMENT_RESULTS)})
    points = fields.Float(allow_none=True)
    feedback = fields.String()
    assessed_on = fields.Date()
    recorded_at = fields.DateTime(metadata={"description": "Europe/Berlin"})
    recorded_by = fields.String(allow_none=True)


class AssessmentRecordSchema(Schema):
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    region = fields.String(allow_none=True)
    current = fields.Nested(AttemptSchema, allow_none=True, metadata={"description": "null: not assessed yet"})
    history = fields.List(fields.Nested(AttemptSchema), metadata={"description": "earlier attempts, newest first"})


class ModuleInfoSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    series_id = fields.Integer()
    assessment_kind = fields.String(metadata={"enum": ["pass_fail", "points"]})
    max_points = fields.Integer(allow_none=True)
    pass_mark = fields.Integer(allow_none=True)


class SheetSchema(Schema):
    version = fields.Integer(required=True)
    module = fields.Nested(ModuleInfoSchema, required=True)
    records = fields.List(fields.Nested(AssessmentRecordSchema), required=True)


class AssessmentInSchema(Schema):
    result = fields.String(validate=validate.OneOf(ASSESSMENT_RESULTS), metadata={"description": "pass/fail modules"})
    # A JSON number; the service reads it through its decimal text (72.1 stays 72.1).
    points = fields.Float(
        allow_nan=False,
        validate=validate.Range(min=0, max=100000),
        metadata={"description": "points modules; the module's pass mark decides the result"},
    )
    feedback = fields.String(load_default="", validate=validate.Length(max=services.FEEDBACK_MAX_LENGTH))
    assessed_on = fields.Date(metadata={"description": "default: today"})
    version = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_INT - 1),
        metadata={"description": "optional: refuse with 409 when the module's assessments changed since"},
    )

    @validates_schema
    def one_of_result_or_points(self, data, **kwargs):
        if ("result" in data) == ("points" in data):
            raise ValidationError(_("Bitte genau eines angeben: „result“ oder „points“."), "result")


class RecordedSchema(Schema):
    version = fields.Integer(required=True)
    recorded = fields.Boolean(required=True, metadata={"description": "false: same as the current result, nothing new"})
    current = fields.Nested(AttemptSchema, required=True)


def _attempt(view: services.AttemptView | None) -> dict | None:
    if view is None:
        return None
    return {
        "attempt": view.attempt,
        "result": view.result,
        "points": None if view.points is None else float(view.points),
        "feedback": view.feedback,
        "assessed_on": view.assessed_on,
        "recorded_at": to_local_aware(view.recorded_at),
        "recorded_by": view.recorded_by,
    }


def _sheet_for_caller(module_id: int) -> services.Sheet:
    sheet = services.load_sheet(module_id)
    if sheet is None:
        raise ApiProblem(404, _("Dieses Modul gibt es nicht."))
    if not can_work_on_series(api_user(), sheet.series_id):
        raise ApiProblem(403, _("Sie sind dieser Reihe nicht als Trainer/in zugeordnet."))
    return sheet


@blp.route("/modules/<int:module_id>/assessments")
class ModuleAssessments(MethodView):
    @blp.response(200, SheetSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Coordinator, or trainer not assigned to the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such module")
    @api_roles("admin", "trainer")
    def get(self, module_id: int):
        """Every active participant with the current assessment and the earlier ones."""
        sheet = _sheet_for_caller(module_id)
        return {
            "version": sheet.version,
            "module": {
                "id": sheet.module_id,
                "title": sheet.module_title,
                "series_id": sheet.series_id,
                "assessment_kind": sheet.assessment_kind,
                "max_points": sheet.max_points,
                "pass_mark": sheet.pass_mark,
            },
            "records": [
                {
                    "user_id": row.user_id,
                    "name": row.name,
                    "region": row.region,
                    "current": _attempt(row.current),
                    "history": [_attempt(view) for view in row.history],
                }
                for row in sheet.rows
            ],
        }


@blp.route("/modules/<int:module_id>/assessments/<int:user_id>")
class ParticipantAssessment(MethodView):
    @blp.arguments(AssessmentInSchema)
    @blp.response(200, RecordedSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Coordinator, or trainer not assigned to the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such module")
    @blp.alt_response(409, schema=ProblemSchema, description="`version` given and stale. Nothing was written.")
    @blp.alt_response(
        422,
        schema=ProblemSchema,
        description="Result that does not fit the module, points out of range, a date in the future, a person not enrolled. Nothing was written.",
    )
    @api_roles("admin", "trainer")
    def put(self, data, module_id: int, user_id: int):
        """Record an assessment. A result different from the current one adds a new attempt; the
        earlier one stays in the history."""
        sheet = _sheet_for_caller(module_id)
        entry = AssessmentEntry(
            result=data.get("result"), points=data.get("points"), feedback=data["feedback"], assessed_on=data.get("assessed_on")
        )
        try:
            result = services.save_assessments(
                sheet.module_id, {user_id: entry}, actor_id=api_user().id, version=data.get("version")
            )
        except AssessmentConflict as conflict:
            db.session.rollback()
            raise ApiProblem(409, conflict.message, current_version=conflict.current_version) from conflict
        except AssessmentError as error:
            db.session.rollback()
            raise ApiProblem(422, error.message, errors=error.errors) from error
        db.session.commit()
        current = next(row for row in services.load_sheet(module_id).rows if row.user_id == user_id)
        return {"version": result.version, "recorded": bool(result.recorded), "current": _attempt(current.current)}
