"""Attendance warnings to coordinators, the programme office's daily digest, and nudges to
trainers whose roster is still unsaved a day after the session.

The forecast of an enrollment is one of four states (``forecast_state``); a coordinator is
written to when it *changes* to "must attend every remaining session" or to "no longer
reachable" (``warning_for``), once per change and never once per saved roster. Both are plain
functions over states, so where the previous state comes from can change without touching the
rule. The last state seen is kept in ``attendance_forecasts``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from wirlearn import jobs, signals
from wirlearn.auth.models import User, UserRole
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import LOCAL_TZ, local_now, utcnow
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.mail.kinds import Draft, Kind, Skip, register_kind
from wirlearn.mail.models import ForecastState
from wirlearn.mail.outbox import queue_message
from wirlearn.mail.services import wants
from wirlearn.programme.models import Enrollment, Series, Session

ON_TRACK = "on_track"
MUST_ATTEND_ALL = "must_attend_all"
UNREACHABLE = "unreachable"
DONE = "done"  # nothing left to attend (or withdrawn): nothing to warn about
WARNING_STATES = (MUST_ATTEND_ALL, UNREACHABLE)


def forecast_state(progress) -> str:
    """The attendance forecast of one participant (a ``ParticipantProgress``): whether the
    minimum attendance can still be met, and whether only by attending every session left."""
    from wirlearn.progress.services import meets

    if progress.withdrawn:
        return DONE
    if not progress.reachable:
        return UNREACHABLE
    still_open = progress.sessions_upcoming + progress.sessions_unrecorded
    if still_open == 0:
        return DONE
    held, attended, minimum = progress.sessions_held, progress.sessions_attended, progress.min_attendance_percent
    if not meets(attended + still_open - 1, held + still_open, minimum):
        return MUST_ATTEND_ALL
    return ON_TRACK


def warning_for(previous: str | None, current: str) -> str | None:
    """The state to warn about when the forecast went from ``previous`` to ``current``, or None.
    A first look (``previous`` None) warns too: the state was never told."""
    if current in WARNING_STATES and current != previous:
        return current
    return None


def on_attendance_saved(session: Session, **_extra) -> None:
    # Recorded attendance moves every participant's forecast in the series (a session now
    # counts as held): look at them after the commit, in the worker, not in the trainer's save.
    jobs.enqueue("mail.forecasts", series_id=session.module.series_id)


def check_forecasts(series_id: int, now: datetime | None = None) -> int:
    """Compare each enrollment's forecast with the last one seen; store changes and queue one
    warning per change into a warning state. Returns the number of warnings queued."""
    # The kept progress records (what the overview reads): a roster save no longer recomputes
    # a series of 10,000 in the worker; missing or overtaken records are computed afresh.
    from wirlearn.progress.kept import progress_for_series

    progress = progress_for_series(series_id)
    known = {
        row.enrollment_id: row
        for row in db.session.scalars(
            select(ForecastState).where(ForecastState.enrollment_id.in_([item.enrollment_id for item in progress]))
        )
    }
    stamp = utcnow()
    warned = 0
    for item in progress:
        state = forecast_state(item)
        row = known.get(item.enrollment_id)
        previous = row.state if row else None
        if previous == state:
            continue
        if row is None:
            db.session.add(ForecastState(enrollment_id=item.enrollment_id, state=state, changed_at=stamp))
        else:
            row.state, row.changed_at = state, stamp
        warning = warning_for(previous, state)
        if warning:
            user = db.session.get(User, item.user_id)
            if user is not None and user.active and wants(user.id, "warnings"):
                queue_message(
                    "forecast_warning",
                    f"forecast:{item.enrollment_id}:{warning}:{stamp:%Y%m%dT%H%M%S%f}",
                    to_address=user.email,
                    user_id=user.id,
                    ref_id=item.enrollment_id,
                    payload={"state": warning},
                )
                warned += 1
    db.session.flush()
    return warned


def check_all_forecasts() -> int:
    """Every series still running (safety net for changes no roster save announced)."""
    today = local_now().date()
    series_ids = db.session.scalars(
        select(Series.id).where((Series.end_date.is_(None)) | (Series.end_date >= today - timedelta(days=7)))
    )
    return sum(check_forecasts(series_id) for series_id in list(series_ids))


def build_warning(message, user) -> Draft:
    from wirlearn.progress.services import progress_for_enrollment

    enrollment = db.session.get(Enrollment, message.ref_id) if message.ref_id else None
    if enrollment is None or enrollment.status != "active":
        raise Skip(_("Die Teilnahme ist beendet."))
    progress = progress_for_enrollment(enrollment.id)
    state = (message.payload or {}).get("state")
    if forecast_state(progress) != state:
        raise Skip(_("Die Prognose hat sich inzwischen wieder geändert."))
    return Draft(
        "forecast_warning",
        {
            "user": user,
            "series": enrollment.series,
            "state": state,
            "progress": progress,
            "next_sessions": progress.next_sessions[:5],
            "progress_url": public_url_for("core.home"),
        },
        reason=_l("Sie an dieser Qualifizierungsreihe teilnehmen und Hinweise zur Anwesenheit eingeschaltet haben"),
    )


# --- the programme office's daily digest ------------------------------------------------------


def digest_window(now_local: datetime) -> tuple[datetime, datetime]:
    """The 24 hours up to today's digest hour (``MAIL_DIGEST_HOUR``), in stored (naive) UTC."""
    hour = current_app.config["MAIL_DIGEST_HOUR"]
    until = datetime.combine(now_local.date(), time(hour), tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
    return until - timedelta(days=1), until


def _changes_in(since: datetime, until: datetime):
    rows = db.session.execute(
        select(ForecastState.state, ForecastState.changed_at, User.display_name, Series.title)
        .join(Enrollment, Enrollment.id == ForecastState.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .join(Series, Series.id == Enrollment.series_id)
        .where(
            ForecastState.changed_at >= since,
            ForecastState.changed_at < until,
            ForecastState.state.in_(WARNING_STATES),
            Enrollment.status == "active",
        )
    ).all()
    return sorted(rows, key=lambda row: (sort_key(row.title), sort_key(row.display_name)))


def queue_digests(now_local: datetime | None = None) -> int:
    """Once a day from the digest hour on: one digest to each admin, if any forecast changed."""
    now_local = now_local or local_now()
    if now_local.hour < current_app.config["MAIL_DIGEST_HOUR"]:
        return 0
    since, until = digest_window(now_local)
    if not _changes_in(since, until):
        return 0
    admins = db.session.scalars(select(User).join(UserRole).where(UserRole.role == "admin", User.active.is_(True)))
    count = 0
    for admin in admins:
        if wants(admin.id, "digests"):
            count += queue_message(
                "forecast_digest",
                f"digest:{now_local.date().isoformat()}:{admin.id}",
                to_address=admin.email,
                user_id=admin.id,
                payload={"since": since.isoformat(), "until": until.isoformat()},
            )
    return count


def build_digest(message, user) -> Draft:
    payload = message.payload or {}
    changes = _changes_in(datetime.fromisoformat(payload["since"]), datetime.fromisoformat(payload["until"]))
    if not changes:
        raise Skip(_("Keine Änderungen mehr offen."))
    return Draft(
        "forecast_digest",
        {"user": user, "changes": changes, "overview_url": public_url_for("core.home")},
        reason=_l("Sie zur Programmleitung gehören und die tägliche Übersicht eingeschaltet haben"),
    )


# --- trainers: a roster still unsaved a day after the session ----------------------------------


def queue_nudges(now_local: datetime | None = None) -> int:
    now_local = now_local or local_now()
    candidates = db.session.scalars(
        select(Session)
        .where(
            Session.attendance_version == 0,
            Session.date >= (now_local - timedelta(days=8)).date(),
            Session.date <= (now_local - timedelta(days=1)).date(),
        )
        .order_by(Session.date, Session.id)
    )
    count = 0
    for session in candidates:
        ended = session.ends_at
        if not (now_local - timedelta(days=7) <= ended <= now_local - timedelta(hours=24)):
            continue
        for trainer in session.trainers:
            if trainer.active and wants(trainer.id, "warnings"):
                count += queue_message(
                    "roster_nudge",
                    f"nudge:{session.id}:{trainer.id}",
                    to_address=trainer.email,
                    user_id=trainer.id,
                    ref_id=session.id,
                )
    return count


def build_nudge(message, user) -> Draft:
    from wirlearn.mail.calendar import SessionFacts

    session = db.session.get(Session, message.ref_id) if message.ref_id else None
    if session is None:
        raise Skip(_("Den Termin gibt es nicht mehr."))
    if session.attendance_version > 0:
        raise Skip(_("Die Anwesenheit ist inzwischen erfasst."))
    return Draft(
        "roster_nudge",
        {
            "user": user,
            "session": SessionFacts.of(session),
            "roster_url": public_url_for("attendance.roster", session_id=session.id),
        },
        reason=_l("Sie als Trainer/in für diesen Termin eingetragen sind"),
    )


def register() -> None:
    register_kind(Kind("forecast_warning", "warnings", _l("Hinweis zur Anwesenheit"), build_warning))
    register_kind(Kind("forecast_digest", "digests", _l("Tägliche Übersicht"), build_digest))
    register_kind(Kind("roster_nudge", "warnings", _l("Anwesenheit noch nicht erfasst"), build_nudge))
    signals.attendance_saved.connect(on_attendance_saved)
