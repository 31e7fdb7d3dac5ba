"""The assessment list of a module (trainers and admins) and the assessment export of a series."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wirlearn.assessments import services
from wirlearn.assessments.services import AssessmentConflict, AssessmentEntry, AssessmentError
from wirlearn.core.access import roles_required
from wirlearn.core.exports import FORMATS, table_response
from wirlearn.core.formatting import fmt_decimal
from wirlearn.core.forms import int_param
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.access import require_series_work
from wirlearn.programme.models import Series

bp = Blueprint("assessments", __name__)

STAFF = ("admin", "trainer")
_RESULT_FIELD = re.compile(r"^(result|points)-(\d{1,12})$")


@dataclass
class FormRow:
    row: services.SheetRow
    result: str
    points: str
    feedback: str
    orig_result: str
    orig_points: str
    orig_feedback: str
    seen_attempt: int
    errors: list[str]
    changed_by_other: bool = False

    @property
    def touched(self) -> bool:
        return (self.result, self.points, self.feedback) != (self.orig_result, self.orig_points, self.orig_feedback)


def _points_text(value) -> str:
    return "" if value is None else fmt_decimal(value)


def _sheet_or_404(module_id: int) -> services.Sheet:
    sheet = services.load_sheet(module_id)
    if sheet is None:
        abort(404)
    require_series_work(current_user, sheet.series_id)
    return sheet


def _stored_rows(sheet: services.Sheet) -> list[FormRow]:
    rows = []
    for row in sheet.rows:
        current = row.current
        result = current.result if current and sheet.assessment_kind == "pass_fail" else ""
        points = _points_text(current.points) if current else ""
        feedback = current.feedback if current else ""
        rows.append(FormRow(row, result, points, feedback, result, points, feedback, current.attempt if current else 0, []))
    return rows


def _form_rows(sheet: services.Sheet) -> list[FormRow]:
    form = request.form
    rows = []
    for row in sheet.rows:
        uid = row.user_id
        try:
            seen = int(form.get(f"seen-{uid}", "0"))
        except ValueError:
            seen = 0
        rows.append(
            FormRow(
                row,
                form.get(f"result-{uid}", ""),
                form.get(f"points-{uid}", "").strip(),
                form.get(f"feedback-{uid}", "").strip(),
                form.get(f"orig-result-{uid}", ""),
                form.get(f"orig-points-{uid}", ""),
                form.get(f"orig-feedback-{uid}", ""),
                seen,
                [],
            )
        )
    return rows


def _render(
    sheet, rows, *, version=None, assessed_on=None, error=None, other_errors=(), conflict=None, date_error=None, status=200
):
    return (
        render_template(
            "assessments/sheet.html",
            sheet=sheet,
            rows=rows,
            version=sheet.version if version is None else version,
            assessed_on=assessed_on or local_today(),
            error=error,
            other_errors=other_errors,
            date_error=date_error,
            conflict=conflict,
            result_label=services.result_label,
            results=("passed", "failed"),
        ),
        status,
    )


@bp.route("/module/<int:module_id>/bewertungen", methods=["GET", "POST"])
@roles_required(*STAFF)
def sheet(module_id: int):
    sheet = _sheet_or_404(module_id)
    if request.method == "GET":
        return _render(sheet, _stored_rows(sheet))
    version = int_param(request.form.get("version", ""))
    if version is None:
        abort(400)
    rows = _form_rows(sheet)
    raw_date = request.form.get("assessed_on", "")
    try:
        assessed_on = date.fromisoformat(raw_date) if raw_date else local_today()
    except ValueError:
        return _render(
            sheet,
            rows,
            version=version,
            error=_("Die Bewertungen enthalten ungültige Angaben. Es wurde nichts gespeichert."),
            date_error=_("Bitte geben Sie ein gültiges Datum an."),
            status=422,
        )
    points_kind = sheet.assessment_kind == "points"
    entries: dict[int, AssessmentEntry] = {}
    for form_row in rows:
        if not form_row.touched:
            continue
        if not (form_row.result or form_row.points):
            if form_row.feedback or form_row.orig_result or form_row.orig_points:
                form_row.errors = [
                    _("Bitte geben Sie die Punkte an.")
                    if points_kind
                    else _("Bitte wählen Sie „bestanden“ oder „nicht bestanden“.")
                ]
            continue
        entries[form_row.row.user_id] = AssessmentEntry(
            result=form_row.result or None,
            points=form_row.points or None,
            feedback=form_row.feedback,
            assessed_on=assessed_on,
        )
    # Results for people who are not on the list are refused by the service, never ignored.
    on_sheet = {row.user_id for row in sheet.rows}
    for key in request.form:
        match = _RESULT_FIELD.match(key)
        if match and int(match.group(2)) not in on_sheet:
            uid = match.group(2)
            entries[int(uid)] = AssessmentEntry(
                result=request.form.get(f"result-{uid}") or None,
                points=request.form.get(f"points-{uid}") or None,
                assessed_on=assessed_on,
            )
    if any(form_row.errors for form_row in rows):
        return _render(
            sheet,
            rows,
            version=version,
            assessed_on=assessed_on,
            error=_("Die Bewertungen enthalten ungültige Angaben. Es wurde nichts gespeichert."),
            status=422,
        )
    try:
        result = services.save_assessments(
            module_id,
            entries,
            actor_id=current_user.id,
            version=version,
            seen_attempts={form_row.row.user_id: form_row.seen_attempt for form_row in rows},
        )
    except AssessmentConflict as conflict:
        db.session.rollback()
        fresh = services.load_sheet(module_id)
        changed = {row.user_id for row in conflict.changed}
        stored = {form_row.row.user_id: form_row for form_row in _stored_rows(fresh)}
        for form_row in rows:
            now = stored.get(form_row.row.user_id)
            form_row.changed_by_other = form_row.row.user_id in changed
            if now is None:
                continue
            if form_row.changed_by_other and not form_row.touched:
                form_row.result, form_row.points, form_row.feedback = now.result, now.points, now.feedback
            form_row.orig_result, form_row.orig_points, form_row.orig_feedback = (
                now.orig_result,
                now.orig_points,
                now.orig_feedback,
            )
            form_row.seen_attempt = now.seen_attempt
            form_row.row = now.row
        return _render(fresh, rows, version=conflict.current_version, assessed_on=assessed_on, conflict=conflict, status=409)
    except AssessmentError as error:
        db.session.rollback()
        for form_row in rows:
            form_row.errors = error.errors.get(str(form_row.row.user_id), [])
        on_sheet = {str(form_row.row.user_id) for form_row in rows}
        others = [message for key, messages in error.errors.items() if key not in on_sheet for message in messages]
        return _render(
            sheet, rows, version=version, assessed_on=assessed_on, error=error.message, other_errors=others, status=422
        )
    db.session.commit()
    if result.recorded:
        flash(_("Bewertungen gespeichert (%(n)d neu erfasst).", n=len(result.recorded)), "success")
    else:
        flash(_("Keine Änderungen – die Bewertungen sind aktuell."), "info")
    return redirect(url_for("assessments.sheet", module_id=module_id))


@bp.get("/training/reihen/<int:series_id>/bewertungen.<fmt>")
@roles_required(*STAFF)
def export(series_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404)
    require_series_work(current_user, series_id)
    from wirlearn.assessments.export import assessments_table

    return table_response(assessments_table(series), fmt, f"Bewertungen-{series.title}")
