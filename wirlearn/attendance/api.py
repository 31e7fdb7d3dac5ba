"""JSON API: the attendance roster of a session (read and save whole, with a version)."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.api.problems import ApiProblem
from wirlearn.api.schemas import ProblemSchema
from wirlearn.attendance import services
from wirlearn.attendance.services import AttendanceError, Entry, RosterConflict
from wirlearn.core.access import api_roles
from wirlearn.core.timeutil import to_local_aware
from wirlearn.extensions import db
from wirlearn.programme.access import can_work_on_series

blp = Blueprint("api_attendance", __name__, url_prefix=API_PREFIX, description="Attendance rosters per session")

# Ids and versions are 32-bit integers in the database.
MAX_INT = 2**31 - 1


class RecordSchema(Schema):
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    region = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"enum": list(services.STATUSES), "description": "null: not recorded yet"})
    note = fields.String()
    updated_at = fields.DateTime(allow_none=True, metadata={"description": "Europe/Berlin"})
    updated_by = fields.String(allow_none=True)


class RosterSchema(Schema):
    version = fields.Integer(required=True, metadata={"description": "send it back with PUT"})
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
    records = fields.List(fields.Nested(RecordSchema), required=True)


class RecordInSchema(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_INT))
    status = fields.String(required=True, validate=validate.OneOf(services.STATUSES))
    note = fields.String(load_default="", validate=validate.Length(max=services.NOTE_MAX_LENGTH))


class RosterInSchema(Schema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_INT - 1))
    records = fields.List(fields.Nested(RecordInSchema), required=True, validate=validate.Length(max=2000))
    submission_key = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=services.SUBMISSION_KEY_MAX_LENGTH),
        metadata={"description": "optional one-time key: a save repeated with the same key is recorded once (offline sync)"},
    )

    @validates_schema
    def unique_users(self, data, **kwargs):
        ids = [record["user_id"] for record in data.get("records", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError(_("Jede Person darf nur einmal vorkommen."), "records")


class SavedSchema(Schema):
    version = fields.Integer(required=True)
    changed_user_ids = fields.List(fields.Integer(), required=True)


def _roster_for_caller(session_id: int) -> services.Roster:
    roster = services.load_roster(session_id)
    if roster is None:
        raise ApiProblem(404, _("Diesen Termin gibt es nicht."))
    if not can_work_on_series(api_user(), roster.series_id):
        raise ApiProblem(403, _("Sie sind dieser Reihe nicht als Trainer/in zugeordnet."))
    return roster


def roster_document(roster: services.Roster) -> dict:
    return {
        "version": roster.version,
        "updated_at": to_local_aware(roster.updated_at),
        "updated_by": roster.updated_by,
        "records": [
            {
                "user_id": row.user_id,
                "name": row.name,
                "region": row.region,
                "status": row.status,
                "note": row.note,
                "updated_at": to_local_aware(row.updated_at),
                "updated_by": row.updated_by,
            }
            for row in roster.rows
        ],
    }


@blp.route("/sessions/<int:session_id>/attendance")
class SessionAttendance(MethodView):
    @blp.response(200, RosterSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Coordinator, or trainer not assigned to the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such session")
    @api_roles("admin", "trainer")
    def get(self, session_id: int):
        """The roster of a session: every active participant with status and note."""
        return roster_document(_roster_for_caller(session_id))

    @blp.arguments(RosterInSchema)
    @blp.response(200, SavedSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Coordinator, or trainer not assigned to the series")
    @blp.alt_response(404, schema=ProblemSchema, description="No such session")
    @blp.alt_response(
        409,
        schema=ProblemSchema,
        description="The roster changed since `version`: `current_version` and `changed` (the rows the other person saved). Nothing was written.",
    )
    @blp.alt_response(
        422,
        schema=ProblemSchema,
        description="Unknown status, a person not enrolled, or a status other than `excused` for a session that "
        "has not started. Nothing was written.",
    )
    @api_roles("admin", "trainer")
    def put(self, data, session_id: int):
        """Save the statuses of the listed participants in one transaction (others stay as they are)."""
        roster = _roster_for_caller(session_id)
        entries = {record["user_id"]: Entry(record["status"], record["note"]) for record in data["records"]}
        try:
            result = services.save_roster(
                roster.session_id, data["version"], entries, actor_id=api_user().id, submission_key=data["submission_key"]
            )
        except RosterConflict as conflict:
            db.session.rollback()
            raise ApiProblem(
                409,
                conflict.message,
                current_version=conflict.current_version,
                changed=[
                    {
                        "user_id": row.user_id,
                        "name": row.name,
                        "status": row.status,
                        "note": row.note,
                        "updated_by": row.updated_by,
                        "updated_at": to_local_aware(row.updated_at).isoformat() if row.updated_at else None,
                    }
                    for row in conflict.changed
                ],
            ) from conflict
        except AttendanceError as error:
            db.session.rollback()
            raise ApiProblem(422, error.message, errors={"records": error.errors}) from error
        db.session.commit()
        user_of = {row.enrollment_id: row.user_id for row in roster.rows}
        return {
            "version": result.version,
            "changed_user_ids": sorted(user_of[e] for e in result.changed_enrollment_ids if e in user_of),
        }
