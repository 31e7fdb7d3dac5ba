"""Self check-in rules: who may check in when, and what gets recorded.

Plain functions: they flush, never commit. Problems the participant can act on raise
``CheckInError`` with a German message and the HTTP status the API answers with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wirlearn import signals
from wirlearn.attendance.models import Attendance
from wirlearn.attendance.services import load_roster
from wirlearn.audit.services import record
from wirlearn.core.timeutil import local_now, utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session

VIA = "self_checkin"


def stale_message() -> str:
    return _(
        "Dieser Check-in-Code ist abgelaufen oder gehört zu einem anderen Termin. "
        "Bitte scannen Sie den Code, der gerade im Raum angezeigt wird."
    )


class CheckInError(Exception):
    """A check-in that cannot be recorded; nothing was written."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CheckInResult:
    status: str  # the status now recorded for the participant
    recorded: bool  # False: there was a mark already (an earlier check-in or the trainer's)
    by_trainer: bool  # the existing mark was set by someone else


@dataclass(frozen=True)
class SessionHead:
    session: Session
    module: Module
    series: Series


def load_head(session_id: int) -> SessionHead | None:
    row = db.session.execute(
        select(Session, Module, Series)
        .join(Module, Session.module_id == Module.id)
        .join(Series, Module.series_id == Series.id)
        .where(Session.id == session_id)
    ).first()
    return SessionHead(*row) if row else None


def running(session: Session, now: datetime | None = None) -> bool:
    """Check-in is open from the session's start to its end (wall-clock time in Hessen)."""
    now = now or local_now()
    return session.starts_at <= now <= session.ends_at


def status_for(head: SessionHead, now: datetime) -> str:
    """Present, or late once more than the series' minutes have passed since the start."""
    minutes = (now - head.session.starts_at).total_seconds() / 60
    return "late" if minutes > head.series.checkin_late_after_minutes else "present"


def refusal(head: SessionHead | None, now: datetime | None = None) -> CheckInError | None:
    """Why nobody can check in to this session now (``None``: check-in is open)."""
    if head is None:
        return CheckInError(404, _("Diesen Termin gibt es nicht."))
    now = now or local_now()
    if now < head.session.starts_at:
        return CheckInError(
            422,
            _(
                "Der Check-in ist erst ab Beginn des Termins möglich (%(date)s, %(time)s Uhr).",
                date=head.session.date.strftime("%d.%m.%Y"),
                time=head.session.start_time.strftime("%H:%M"),
            ),
        )
    if now > head.session.ends_at:
        return CheckInError(422, _("Dieser Termin ist bereits zu Ende; ein Check-in ist nicht mehr möglich."))
    return None


def check_in(session_id: int, user_id: int, now: datetime | None = None) -> CheckInResult:
    """Mark ``user_id`` present (or late) in a running session they are enrolled for.

    Each person once: an existing row — an earlier check-in or a trainer's mark — is never
    changed. The roster's version stays as it is, so a trainer with the list open can still
    save it; a new row is audited as "Selbst-Check-in" and ``attendance_saved`` is sent."""
    now = now or local_now()
    head = load_head(session_id)
    problem = refusal(head, now)
    if problem is not None:
        raise problem
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.series_id == head.series.id, Enrollment.user_id == user_id, Enrollment.status != "withdrawn"
        )
    )
    if enrollment is None:
        raise CheckInError(403, _("Sie sind in dieser Reihe nicht eingeschrieben."))
    existing = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session_id, Attendance.enrollment_id == enrollment.id)
    )
    if existing is not None:
        return CheckInResult(existing.status, recorded=False, by_trainer=existing.updated_by_id != user_id)

    status = status_for(head, now)
    row = Attendance(
        session_id=session_id,
        enrollment_id=enrollment.id,
        status=status,
        note="",
        # Not a new roster version: a trainer's open list is not made stale by a check-in.
        roster_version=head.session.attendance_version,
        updated_at=utcnow(),
        updated_by_id=user_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # A parallel request (a double tap, or the trainer's save) wrote this row first.
        existing = db.session.scalar(
            select(Attendance).where(Attendance.session_id == session_id, Attendance.enrollment_id == enrollment.id)
        )
        return CheckInResult(existing.status, recorded=False, by_trainer=existing.updated_by_id != user_id)
    record(
        "attendance.self_checkin",
        "attendance",
        row.id,
        before=None,
        after={
            "status": status,
            "via": VIA,
            "minutes_after_start": int((now - head.session.starts_at).total_seconds() // 60),
        },
        actor_id=user_id,
        subject_user_id=user_id,
        series_id=head.series.id,
        module_id=head.module.id,
        session_id=session_id,
    )
    signals.attendance_saved.send(head.session, changed_enrollment_ids={enrollment.id})
    return CheckInResult(status, recorded=True, by_trainer=False)


@dataclass(frozen=True)
class LiveRow:
    user_id: int
    name: str
    status: str | None
    self_checked_in: bool


@dataclass(frozen=True)
class LiveList:
    checked_in: list[LiveRow]
    waiting: list[LiveRow]


def live_list(session_id: int) -> LiveList:
    """Who has a mark (checked in, or set by a trainer) and who has not, in the roster's order:
    the roster's fixed number of queries plus one, whatever the number of participants."""
    roster = load_roster(session_id)
    rows = roster.rows if roster else []
    self_checked = set(
        db.session.scalars(
            select(Enrollment.user_id)
            .join(Attendance, Attendance.enrollment_id == Enrollment.id)
            .where(Attendance.session_id == session_id, Attendance.updated_by_id == Enrollment.user_id)
        )
    )
    people = [LiveRow(row.user_id, row.name, row.status, row.user_id in self_checked) for row in rows]
    return LiveList(
        checked_in=[row for row in people if row.status],
        waiting=[row for row in people if not row.status],
    )
