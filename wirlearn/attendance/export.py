"""The attendance of a series as a table for CSV/XLSX downloads (one row per participant and
session, so it can be filtered and pivoted in a spreadsheet)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from wirlearn.attendance.models import Attendance
from wirlearn.attendance.services import status_label
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.exports import Table
from wirlearn.core.timeutil import to_local
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session


def attendance_table(series: Series) -> Table:
    """Every session of the series × every participant who is not withdrawn; sessions without a
    recorded status show an empty status. Two queries."""
    participant = aliased(User)
    people = db.session.execute(
        select(Enrollment.id, participant.display_name, participant.email, Region.name)
        .join(participant, Enrollment.user_id == participant.id)
        .outerjoin(Region, participant.region_id == Region.id)
        .where(Enrollment.series_id == series.id, Enrollment.status != "withdrawn")
        .order_by(participant.display_name, participant.id)
    ).all()
    sessions = db.session.execute(
        select(Session, Module.title, Module.position)
        .join(Module, Session.module_id == Module.id)
        .where(Module.series_id == series.id)
        .order_by(Session.date, Session.start_time, Session.id)
    ).all()
    editor = aliased(User)
    recorded = {
        (attendance.session_id, attendance.enrollment_id): (attendance, editor_name)
        for attendance, editor_name in db.session.execute(
            select(Attendance, editor.display_name)
            .outerjoin(editor, Attendance.updated_by_id == editor.id)
            .join(Session, Attendance.session_id == Session.id)
            .join(Module, Session.module_id == Module.id)
            .where(Module.series_id == series.id)
        )
    }
    rows = []
    for enrollment_id, name, email, region in sorted(people, key=lambda person: sort_key(person[1])):
        for session, module_title, position in sessions:
            attendance, editor_name = recorded.get((session.id, enrollment_id), (None, None))
            rows.append(
                [
                    name,
                    email,
                    region or "",
                    position,
                    module_title,
                    session.date,
                    session.start_time,
                    session.end_time,
                    status_label(attendance.status) if attendance else "",
                    attendance.status if attendance else "",
                    attendance.note if attendance else "",
                    to_local(attendance.updated_at) if attendance else None,
                    editor_name or "",
                ]
            )
    headers = [
        _("Name"),
        _("E-Mail"),
        _("Gebietskörperschaft"),
        _("Modul Nr."),
        _("Modul"),
        _("Datum"),
        _("Beginn"),
        _("Ende"),
        _("Status"),
        _("Status (Code)"),
        _("Notiz"),
        _("Erfasst am"),
        _("Erfasst von"),
    ]
    return Table(title=_("Anwesenheit"), headers=headers, rows=rows)
