"""The admin page that lists and filters the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.audit import labels
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User, UserRole
from wirlearn.core.access import roles_required
from wirlearn.core.collation import sort_key
from wirlearn.core.forms import int_param, page_param
from wirlearn.core.timeutil import LOCAL_TZ
from wirlearn.extensions import db
from wirlearn.programme.models import Module, Series, Session

bp = Blueprint("audit", __name__, url_prefix="/verwaltung")

PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    subject_id: int | None
    actor_id: int | None
    series_id: int | None
    module_id: int | None
    session_id: int | None
    action: str | None
    date_from: date | None
    date_to: date | None
    errors: dict[str, str]


EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _int_arg(name: str) -> int | None:
    return int_param(request.args.get(name, ""))


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    value = request.args.get(name, "")
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    # Far-off years would overflow when the day is turned into a UTC range.
    if day is None or not EARLIEST_DAY <= day <= LATEST_DAY:
        errors[name] = _("Bitte ein gültiges Datum angeben.")
        return None
    return day


def read_filters() -> Filters:
    errors: dict[str, str] = {}
    action = request.args.get("aktion") or None
    return Filters(
        subject_id=_int_arg("person"),
        actor_id=_int_arg("wer"),
        series_id=_int_arg("reihe"),
        module_id=_int_arg("modul"),
        session_id=_int_arg("termin"),
        action=action if action and len(action) <= 60 else None,
        date_from=_date_arg("von", errors),
        date_to=_date_arg("bis", errors),
        errors=errors,
    )


def _utc_start(day: date) -> datetime:
    """Local midnight of ``day`` as naive UTC, the form the database holds."""
    from datetime import UTC

    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def filtered_query(filters: Filters):
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if filters.subject_id:
        query = query.where(AuditEvent.subject_user_id == filters.subject_id)
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.series_id:
        query = query.where(AuditEvent.series_id == filters.series_id)
    if filters.module_id:
        query = query.where(AuditEvent.module_id == filters.module_id)
    if filters.session_id:
        query = query.where(AuditEvent.session_id == filters.session_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.occurred_at >= _utc_start(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.occurred_at < _utc_start(filters.date_to + timedelta(days=1)))
    return query


def _choices():
    """Options of the filter form: five queries, however long the trail is."""
    people = db.session.execute(
        select(User.id, User.display_name).where(
            User.id.in_(select(AuditEvent.subject_user_id).where(AuditEvent.subject_user_id.is_not(None)).distinct())
        )
    ).all()
    staff = db.session.execute(
        select(User.id, User.display_name).where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(("admin", "trainer"))))
        )
    ).all()
    people.sort(key=lambda row: sort_key(row[1]))
    staff.sort(key=lambda row: sort_key(row[1]))
    series = db.session.execute(
        select(Series.id, Series.title).order_by(Series.start_date.desc().nulls_last(), Series.id.desc())
    ).all()
    modules = db.session.execute(
        select(Module.id, Module.title, Series.title)
        .join(Series, Module.series_id == Series.id)
        .order_by(Series.id.desc(), Module.position)
    ).all()
    sessions = db.session.execute(
        select(Session.id, Session.date, Session.start_time, Module.title)
        .join(Module, Session.module_id == Module.id)
        .order_by(Session.date.desc(), Session.start_time)
    ).all()
    actions = sorted(db.session.scalars(select(AuditEvent.action).distinct()), key=labels.action_label)
    return {"people": people, "staff": staff, "series": series, "modules": modules, "sessions": sessions, "actions": actions}


@bp.get("/protokoll")
@roles_required("admin")
def index():
    filters = read_filters()
    page = db.paginate(filtered_query(filters), page=page_param(), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    events = list(page.items)
    user_ids = {event.actor_id for event in events} | {event.subject_user_id for event in events}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids - {None}))).all())
    module_titles = dict(
        db.session.execute(select(Module.id, Module.title).where(Module.id.in_({e.module_id for e in events} - {None}))).all()
    )
    session_dates = dict(
        db.session.execute(select(Session.id, Session.date).where(Session.id.in_({e.session_id for e in events} - {None}))).all()
    )
    references = labels.resolve_references(events)
    return render_template(
        "audit/index.html",
        page=page,
        events=events,
        filters=filters,
        names=names,
        module_titles=module_titles,
        session_dates=session_dates,
        choices=_choices(),
        action_label=labels.action_label,
        changes={event.id: labels.changes(event, references) for event in events},
    )
