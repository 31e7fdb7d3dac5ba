"""The assessments of a series as a table for CSV/XLSX downloads: one row per attempt, so the
history of re-assessments is in the file too."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from wirlearn.assessments.models import Assessment
from wirlearn.assessments.services import result_label
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.exports import Table
from wirlearn.core.timeutil import to_local
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series


def assessments_table(series: Series) -> Table:
    """Every recorded attempt of every participant (withdrawn included, marked), by module. One query."""
    participant = aliased(User)
    editor = aliased(User)
    rows = db.session.execute(
        select(
            Assessment,
            Module.position,
            Module.title,
            participant.display_name,
            participant.email,
            Region.name,
            Enrollment.status,
            editor.display_name,
        )
        .join(Module, Assessment.module_id == Module.id)
        .join(Enrollment, Assessment.enrollment_id == Enrollment.id)
        .join(participant, Enrollment.user_id == participant.id)
        .outerjoin(Region, participant.region_id == Region.id)
        .outerjoin(editor, Assessment.recorded_by_id == editor.id)
        .where(Module.series_id == series.id)
        .order_by(participant.display_name, participant.id, Module.position, Module.id, Assessment.attempt)
    ).all()
    rows = sorted(rows, key=lambda row: (sort_key(row[3]), row[1], row[0].module_id, row[0].attempt))
    latest: dict[tuple[int, int], int] = {}
    for assessment, *_rest in rows:
        key = (assessment.module_id, assessment.enrollment_id)
        latest[key] = max(latest.get(key, 0), assessment.attempt)
    table_rows = [
        [
            name,
            email,
            region or "",
            _("ausgeschieden") if enrollment_status == "withdrawn" else "",
            position,
            module_title,
            assessment.attempt,
            _("ja") if latest[(assessment.module_id, assessment.enrollment_id)] == assessment.attempt else _("nein"),
            result_label(assessment.result),
            assessment.result,
            assessment.points,
            assessment.feedback,
            assessment.assessed_on,
            to_local(assessment.recorded_at),
            editor_name or "",
        ]
        for assessment, position, module_title, name, email, region, enrollment_status, editor_name in rows
    ]
    headers = [
        _("Name"),
        _("E-Mail"),
        _("Gebietskörperschaft"),
        _("Teilnahme"),
        _("Modul Nr."),
        _("Modul"),
        _("Versuch"),
        _("Aktuell"),
        _("Ergebnis"),
        _("Ergebnis (Code)"),
        _("Punkte"),
        _("Rückmeldung"),
        _("Bewertet am"),
        _("Erfasst am"),
        _("Erfasst von"),
    ]
    return Table(title=_("Bewertungen"), headers=headers, rows=table_rows)
