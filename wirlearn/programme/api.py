"""JSON API: the series a caller may see, with modules and sessions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.core.access import api_roles
from wirlearn.core.timeutil import LOCAL_TZ
from wirlearn.extensions import db
from wirlearn.programme.access import visible_series
from wirlearn.programme.models import Enrollment, Module, Series, Session

blp = Blueprint("api_programme", __name__, url_prefix=API_PREFIX, description="Series, modules and sessions")


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    date = fields.Date(required=True)
    start_time = fields.Time(required=True, metadata={"description": "wall-clock time in Hessen"})
    end_time = fields.Time(required=True)
    starts_at = fields.DateTime(required=True, metadata={"description": "with the Europe/Berlin offset"})
    ends_at = fields.DateTime(required=True)
    place = fields.String()


class ModuleSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer()
    title = fields.String(required=True)
    teaching_units = fields.Integer()
    required = fields.Boolean()
    assessment_kind = fields.String(metadata={"enum": ["pass_fail", "points"]})
    max_points = fields.Integer(allow_none=True)
    pass_mark = fields.Integer(allow_none=True)
    sessions = fields.List(fields.Nested(SessionSchema), required=True)


class SeriesSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    provider = fields.String()
    certificate_title = fields.String()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    modules = fields.List(fields.Nested(ModuleSchema), required=True)


def series_for(user) -> list[Series]:
    """Admins: every series; trainers: those they train in; coordinators: those they are enrolled in."""
    found = {series.id: series for series in visible_series(user)}
    if user.has_role("coordinator"):
        for series in db.session.scalars(
            select(Series)
            .join(Enrollment, Enrollment.series_id == Series.id)
            .where(Enrollment.user_id == user.id, Enrollment.status != "withdrawn")
        ):
            found.setdefault(series.id, series)
    return sorted(found.values(), key=lambda series: (series.start_date or date.min, series.id), reverse=True)


def _aware(day, clock) -> datetime:
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ)


@blp.route("/series", methods=["GET"])
@blp.response(200, SeriesSchema(many=True))
@api_roles()
def series_index():
    """The series visible to the caller, with modules and sessions (three queries)."""
    series_list = series_for(api_user())
    ids = [series.id for series in series_list]
    modules = db.session.scalars(select(Module).where(Module.series_id.in_(ids)).order_by(Module.position, Module.id)).all()
    sessions_by_module = defaultdict(list)
    for session in db.session.scalars(
        select(Session)
        .where(Session.module_id.in_([module.id for module in modules]))
        .order_by(Session.date, Session.start_time, Session.id)
    ):
        sessions_by_module[session.module_id].append(
            {
                "id": session.id,
                "date": session.date,
                "start_time": session.start_time,
                "end_time": session.end_time,
                "starts_at": _aware(session.date, session.start_time),
                "ends_at": _aware(session.date, session.end_time),
                "place": session.place,
            }
        )
    modules_by_series = defaultdict(list)
    for module in modules:
        modules_by_series[module.series_id].append(
            {
                "id": module.id,
                "position": module.position,
                "title": module.title,
                "teaching_units": module.teaching_units,
                "required": module.required,
                "assessment_kind": module.assessment_kind,
                "max_points": module.max_points,
                "pass_mark": module.pass_mark,
                "sessions": sessions_by_module[module.id],
            }
        )
    return [
        {
            "id": series.id,
            "title": series.title,
            "provider": series.provider,
            "certificate_title": series.certificate_title,
            "start_date": series.start_date,
            "end_date": series.end_date,
            "modules": modules_by_series[series.id],
        }
        for series in series_list
    ]
