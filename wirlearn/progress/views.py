"""Pages: the coordinator's dashboard, the programme overview, a participant's detail page,
the overview's downloads and the coordinator's own data as JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from wirlearn.core.access import roles_required, signed_in
from wirlearn.core.forms import page_param
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.access import require_series_work, visible_series
from wirlearn.programme.models import Enrollment
from wirlearn.progress import charts, labels
from wirlearn.progress.forms import OverviewFilterForm
from wirlearn.progress.overview import Filters, filter_choices, participant_record, records_for_user, series_overview
from wirlearn.progress.personal_data import personal_data

bp = Blueprint("progress", __name__)


@bp.context_processor
def _labels() -> dict:
    return labels.template_globals()


# -- coordinator -------------------------------------------------------------------------------


@bp.get("/mein-fortschritt")
@roles_required("coordinator")
def dashboard():
    records = records_for_user(current_user.id)
    return render_template("progress/dashboard.html", records=records)


@bp.get("/meine-daten.json")
@signed_in
def my_data():
    """Right of access: the signed-in person's own data as a JSON download."""
    body = json.dumps(personal_data(current_user.id), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="wirlearn-meine-daten-{local_today():%Y-%m-%d}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- programme overview ------------------------------------------------------------------------


def _filters(form: OverviewFilterForm) -> Filters:
    """The filters the form carries; a value that is not among the choices is dropped (the form
    shows why)."""
    valid = form.validate()
    errors = form.errors if not valid else {}
    region = form.region.data if "region" not in errors else ""
    return Filters(
        region_id=int(region) if region else None,
        bezirk=(form.bezirk.data or None) if "bezirk" not in errors else None,
        status=(form.status.data or None) if "status" not in errors else None,
        sort=form.sort.data if "sort" not in errors and form.sort.data else "name",
        descending=form.richtung.data == "ab" and "richtung" not in errors,
        page=page_param(),
    )


@bp.get("/programm", defaults={"series_id": None})
@bp.get("/programm/reihen/<int:series_id>")
@roles_required("admin", "trainer")
def overview(series_id: int | None):
    """The programme overview of one series; without one, the newest the user may see."""
    all_series = visible_series(current_user)
    if series_id is None:
        if not all_series:
            return render_template("progress/no_series.html")
        series_id = all_series[0].id
    else:
        require_series_work(current_user, series_id)
    return _render_overview(series_id, all_series)


def _overview_form() -> tuple[OverviewFilterForm, Filters]:
    form = OverviewFilterForm(request.args)
    form.set_choices(*filter_choices())
    return form, _filters(form)


def _render_overview(series_id: int, all_series):
    form, filters = _overview_form()
    data = series_overview(series_id, filters)
    if data is None:
        abort(404)
    query = {key: value for key, value in request.args.items() if key in form.data and value}
    return render_template(
        "progress/overview.html",
        data=data,
        form=form,
        all_series=all_series,
        query=query,
        module_chart=charts.module_chart(data.modules),
        session_chart=charts.session_chart(data.sessions, data.rules.min_attendance_percent),
    )


@bp.get("/programm/reihen/<int:series_id>/export.<fmt>")
@roles_required("admin", "trainer")
def export(series_id: int, fmt: str):
    """The overview (with the filters in the address) as CSV or XLSX."""
    from wirlearn.core.exports import FORMATS, table_response
    from wirlearn.progress.export import overview_table

    if fmt not in FORMATS:
        abort(404)
    require_series_work(current_user, series_id)
    _form, filters = _overview_form()
    data = series_overview(series_id, filters)
    if data is None:
        abort(404)
    return table_response(overview_table(data), fmt, _("Fortschritt %(date)s", date=f"{local_today():%Y-%m-%d}"))


@bp.get("/programm/teilnahmen/<int:enrollment_id>")
@roles_required("admin", "trainer")
def participant(enrollment_id: int):
    series_id = db.session.scalar(select(Enrollment.series_id).where(Enrollment.id == enrollment_id))
    if series_id is None:
        abort(404)
    require_series_work(current_user, series_id)
    record = participant_record(enrollment_id)
    return render_template("progress/participant.html", record=record)
