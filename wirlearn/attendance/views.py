"""Trainer pages: the start page with the trainer's sessions, the roster of a session, the
printable signature list and the attendance export of a series."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from wirlearn.attendance import overview as overview_data
from wirlearn.attendance import services
from wirlearn.attendance.services import AttendanceError, Entry, RosterConflict
from wirlearn.core.access import roles_required
from wirlearn.core.exports import FORMATS, table_response
from wirlearn.core.forms import int_param
from wirlearn.extensions import db
from wirlearn.programme.access import require_series_work
from wirlearn.programme.models import Series

bp = Blueprint("attendance", __name__)

STAFF = ("admin", "trainer")
_STATUS_FIELD = re.compile(r"^status-(\d{1,12})$")


@dataclass
class FormRow:
    """One roster row as the form shows it: what is stored and what the user chose."""

    row: services.RosterRow
    status: str | None
    note: str
    orig_status: str
    orig_note: str
    errors: list[str]
    changed_by_other: services.ChangedRow | None = None

    @property
    def conflicting(self) -> bool:
        """Both people changed this row: the user's choice differs from what the other saved."""
        other = self.changed_by_other
        return other is not None and (self.status, self.note) != (other.status, other.note)


def _roster_or_404(session_id: int) -> services.Roster:
    roster = services.load_roster(session_id)
    if roster is None:
        abort(404)
    require_series_work(current_user, roster.series_id)
    return roster


@bp.get("/training")
@roles_required(*STAFF)
def overview():
    """Start page of trainers (admins: every series)."""
    data = overview_data.load_overview(current_user)
    return render_template("attendance/overview.html", data=data, single=None)


@bp.get("/training/reihen/<int:series_id>")
@roles_required(*STAFF)
def series_overview(series_id: int):
    if db.session.get(Series, series_id) is None:
        abort(404)
    require_series_work(current_user, series_id)
    data = overview_data.load_overview(current_user, series_id=series_id)
    return render_template("attendance/overview.html", data=data, single=data.series[0] if data.series else None)


def _rows_from_stored(roster: services.Roster) -> list[FormRow]:
    return [FormRow(row, row.status, row.note, row.status or "", row.note, []) for row in roster.rows]


def _rows_from_form(roster: services.Roster) -> list[FormRow]:
    form = request.form
    rows = []
    for row in roster.rows:
        status = form.get(f"status-{row.user_id}") or None
        rows.append(
            FormRow(
                row,
                status,
                form.get(f"note-{row.user_id}", "").strip(),
                form.get(f"orig-status-{row.user_id}", row.status or ""),
                form.get(f"orig-note-{row.user_id}", row.note),
                [],
            )
        )
    return rows


def _entries(rows: list[FormRow], roster: services.Roster) -> tuple[dict[int, Entry], dict[int, list[str]]]:
    """What the user changed compared with the list they loaded; rows they left alone are not
    sent, so a deliberate save after a conflict never reverts the other person's rows."""
    entries: dict[int, Entry] = {}
    errors: dict[int, list[str]] = {}
    for form_row in rows:
        if (form_row.status or "", form_row.note) == (form_row.orig_status, form_row.orig_note):
            continue
        if not form_row.status:
            if form_row.note or form_row.orig_status:
                errors[form_row.row.user_id] = [_("Bitte wählen Sie einen Status.")]
            continue
        entries[form_row.row.user_id] = Entry(form_row.status, form_row.note)
    # Statuses for people who are not on the roster (not enrolled, withdrawn) are refused by the
    # service, never ignored.
    on_roster = {row.user_id for row in roster.rows}
    for key, value in request.form.items():
        match = _STATUS_FIELD.match(key)
        if match and int(match.group(1)) not in on_roster:
            entries[int(match.group(1))] = Entry(value, request.form.get(f"note-{match.group(1)}", ""))
    return entries, errors


def _render_roster(
    roster, rows, *, submission_key=None, version=None, conflict=None, error=None, other_errors=(), notice=None, status=200
):
    return (
        render_template(
            "attendance/roster.html",
            roster=roster,
            rows=rows,
            version=roster.version if version is None else version,
            submission_key=submission_key or secrets.token_urlsafe(24),
            conflict=conflict,
            error=error,
            other_errors=other_errors,
            notice=notice,
            statuses=services.STATUSES,
            status_label=services.status_label,
            started=services.started(roster),
            allowed_before_start=services.ALLOWED_BEFORE_START,
        ),
        status,
    )


@bp.route("/termine/<int:session_id>/anwesenheit", methods=["GET", "POST"])
@roles_required(*STAFF)
def roster(session_id: int):
    roster = _roster_or_404(session_id)
    if request.method == "GET":
        return _render_roster(roster, _rows_from_stored(roster))

    version = int_param(request.form.get("version", ""))
    if version is None:
        abort(400)
    submission_key = request.form.get("submission_key") or None
    rows = _rows_from_form(roster)

    if request.form.get("action") == "all_present":
        # The fallback of the "alle anwesend" button without JavaScript: fill, do not save yet.
        for form_row in rows:
            if not form_row.status:
                form_row.status = "present"
        return _render_roster(
            roster,
            rows,
            submission_key=submission_key,
            version=version,
            notice=_("Alle offenen Zeilen sind auf „anwesend“ gesetzt. Ändern Sie die Ausnahmen und speichern Sie dann."),
        )

    entries, row_errors = _entries(rows, roster)
    if row_errors:
        for form_row in rows:
            form_row.errors = row_errors.get(form_row.row.user_id, [])
        return _render_roster(
            roster,
            rows,
            submission_key=submission_key,
            version=version,
            error=_("Die Liste enthält ungültige Angaben. Es wurde nichts gespeichert."),
            status=422,
        )
    try:
        result = services.save_roster(session_id, version, entries, actor_id=current_user.id, submission_key=submission_key)
    except RosterConflict as conflict:
        db.session.rollback()
        fresh = services.load_roster(session_id)
        changed = {row.user_id: row for row in conflict.changed}
        stored = {row.user_id: row for row in fresh.rows}
        for form_row in rows:
            other = changed.get(form_row.row.user_id)
            mine_changed = (form_row.status or "", form_row.note) != (form_row.orig_status, form_row.orig_note)
            form_row.changed_by_other = other
            if other is not None and not mine_changed:
                # The user left this row alone: show what the other person saved.
                form_row.status, form_row.note = other.status, other.note
            current = stored.get(form_row.row.user_id)
            form_row.orig_status = (current.status if current else None) or ""
            form_row.orig_note = current.note if current else ""
        return _render_roster(
            fresh, rows, submission_key=submission_key, version=conflict.current_version, conflict=conflict, status=409
        )
    except AttendanceError as error:
        db.session.rollback()
        for form_row in rows:
            form_row.errors = error.errors.get(str(form_row.row.user_id), [])
        on_roster = {str(form_row.row.user_id) for form_row in rows}
        others = [message for key, messages in error.errors.items() if key not in on_roster for message in messages]
        return _render_roster(
            roster, rows, submission_key=submission_key, version=version, error=error.message, other_errors=others, status=422
        )
    db.session.commit()
    if result.duplicate:
        flash(_("Diese Liste war bereits gespeichert; sie wurde nicht doppelt erfasst."), "info")
    elif result.changed_enrollment_ids:
        count = len(result.changed_enrollment_ids)
        flash(
            ngettext(
                "Anwesenheit gespeichert (%(num)d geänderter Eintrag).",
                "Anwesenheit gespeichert (%(num)d geänderte Einträge).",
                count,
            ),
            "success",
        )
    else:
        flash(_("Keine Änderungen – die Liste ist aktuell."), "info")
    return redirect(url_for("attendance.roster", session_id=session_id))


@bp.get("/termine/<int:session_id>/teilnahmeliste.pdf")
@roles_required(*STAFF)
def signature_list(session_id: int):
    from wirlearn.attendance.pdf import signature_list_pdf

    roster = _roster_or_404(session_id)
    response = Response(signature_list_pdf(roster), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="Teilnahmeliste-{roster.date:%Y-%m-%d}-{roster.session_id}.pdf"'
    return response


@bp.get("/training/reihen/<int:series_id>/anwesenheit.<fmt>")
@roles_required(*STAFF)
def export(series_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404)
    require_series_work(current_user, series_id)
    from wirlearn.attendance.export import attendance_table

    return table_response(attendance_table(series), fmt, f"Anwesenheit-{series.title}")
