"""Attendance rosters: load a session's roster, save it whole, never overwrite silently.

A roster carries ``Session.attendance_version``. Saving bumps it with one conditional UPDATE
(``… WHERE attendance_version = <the version the form was loaded with>``): of two saves started
from the same version, exactly one matches; the other gets ``RosterConflict`` with the rows the
other person changed. On PostgreSQL the UPDATE also locks the session row until commit, so two
app processes cannot both win. A form's one-time key (``RosterSubmission``) makes a double
submit record once.

Plain functions: they flush, never commit. Problems the user can fix raise ``AttendanceError``
with a German message (and field messages keyed by user id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from wirlearn import signals
from wirlearn.attendance.models import ATTENDANCE_STATUSES, Attendance, RosterSubmission
from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import local_now, utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session, session_trainers

STATUSES = ATTENDANCE_STATUSES
STATUS_LABELS = {
    "present": _l("anwesend"),
    "late": _l("verspätet"),
    "excused": _l("entschuldigt"),
    "absent": _l("unentschuldigt"),
}
NOTE_MAX_LENGTH = 500
SUBMISSION_KEY_MAX_LENGTH = 64


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS[status]) if status in STATUS_LABELS else ""


class AttendanceError(Exception):
    """A roster that cannot be saved as sent; nothing was written. ``errors`` maps a user id
    (or "records") to messages for that row."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class ChangedRow:
    """A row another person saved after the version the form was loaded with."""

    enrollment_id: int
    user_id: int
    name: str
    status: str
    note: str
    updated_at: datetime | None
    updated_by: str | None


class RosterConflict(AttendanceError):
    """The roster was saved by someone else in between; nothing was written."""

    def __init__(self, current_version: int, changed: list[ChangedRow], updated_by: str | None, updated_at: datetime | None):
        super().__init__(
            _(
                "Die Liste wurde inzwischen von %(name)s geändert. Ihre Eingaben wurden noch nicht gespeichert.",
                name=updated_by or _("jemand anderem"),
            )
        )
        self.current_version = current_version
        self.changed = changed
        self.updated_by = updated_by
        self.updated_at = updated_at


@dataclass(frozen=True)
class RosterRow:
    enrollment_id: int
    user_id: int
    name: str
    region: str | None
    status: str | None
    note: str
    roster_version: int | None
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class Roster:
    session_id: int
    series_id: int
    series_title: str
    module_id: int
    module_title: str
    date: date
    start_time: object
    end_time: object
    place: str
    trainers: list[str]
    version: int
    updated_at: datetime | None
    updated_by: str | None
    rows: list[RosterRow]

    @property
    def recorded(self) -> int:
        return sum(1 for row in self.rows if row.status)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time)


@dataclass(frozen=True)
class Entry:
    """What a trainer sets for one participant."""

    status: str
    note: str = ""


@dataclass(frozen=True)
class SaveResult:
    version: int
    changed_enrollment_ids: set[int] = field(default_factory=set)
    duplicate: bool = False


# The one status a trainer may record before a session starts: an announced absence.
ALLOWED_BEFORE_START = frozenset({"excused"})


def started(session: Session | Roster, now: datetime | None = None) -> bool:
    """Whether the session has begun (wall-clock time in Hessen)."""
    return (now or local_now()) >= session.starts_at


def refusal_before_start(session: Session | Roster, status: str, now: datetime | None = None) -> str | None:
    """Why ``status`` cannot be recorded for ``session`` now, or ``None`` when it can: nobody
    attends, arrives late or misses a session that has not begun; only an announced absence
    ("entschuldigt") may be recorded in advance."""
    if status in ALLOWED_BEFORE_START or started(session, now):
        return None
    return _(
        "Der Termin beginnt erst am %(date)s um %(time)s Uhr. Vorher kann nur „entschuldigt“ (Abwesenheit angekündigt) erfasst werden.",
        date=session.date.strftime("%d.%m.%Y"),
        time=session.start_time.strftime("%H:%M"),
    )


def get_session(session_id: int) -> Session | None:
    return db.session.get(Session, session_id)


def series_id_of_session(session_id: int) -> int | None:
    return db.session.scalar(
        select(Module.series_id).join(Session, Session.module_id == Module.id).where(Session.id == session_id)
    )


def load_roster(session_id: int) -> Roster | None:
    """The roster of a session: every active enrollment of its series, sorted by name, with the
    recorded status. Four queries, however many participants."""
    head = db.session.execute(
        select(Session, Module, Series)
        .join(Module, Session.module_id == Module.id)
        .join(Series, Module.series_id == Series.id)
        .where(Session.id == session_id)
    ).first()
    if head is None:
        return None
    session, module, series = head
    trainers = sorted(
        db.session.scalars(
            select(User.display_name)
            .join(session_trainers, session_trainers.c.user_id == User.id)
            .where(session_trainers.c.session_id == session.id)
        ),
        key=sort_key,
    )
    updated_by = db.session.get(User, session.attendance_updated_by_id) if session.attendance_updated_by_id else None
    editor = aliased(User)
    participant = aliased(User)
    rows = db.session.execute(
        select(Enrollment.id, participant.id, participant.display_name, Region.name, Attendance, editor.display_name)
        .join(participant, Enrollment.user_id == participant.id)
        .outerjoin(Region, participant.region_id == Region.id)
        .outerjoin(Attendance, (Attendance.enrollment_id == Enrollment.id) & (Attendance.session_id == session.id))
        .outerjoin(editor, Attendance.updated_by_id == editor.id)
        .where(Enrollment.series_id == series.id, Enrollment.status != "withdrawn")
        .order_by(participant.display_name, participant.id)
    ).all()
    return Roster(
        session_id=session.id,
        series_id=series.id,
        series_title=series.title,
        module_id=module.id,
        module_title=module.title,
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        place=session.place,
        trainers=trainers,
        version=session.attendance_version,
        updated_at=session.attendance_updated_at,
        updated_by=updated_by.display_name if updated_by else None,
        rows=sorted(
            (
                RosterRow(
                    enrollment_id=enrollment_id,
                    user_id=user_id,
                    name=name,
                    region=region,
                    status=attendance.status if attendance else None,
                    note=attendance.note if attendance else "",
                    roster_version=attendance.roster_version if attendance else None,
                    updated_at=attendance.updated_at if attendance else None,
                    updated_by=editor_name,
                )
                for enrollment_id, user_id, name, region, attendance, editor_name in rows
            ),
            key=lambda row: sort_key(row.name),
        ),
    )


def _validate(entries: Mapping[int, Entry], enrollment_by_user: Mapping[int, int]) -> dict[int, Entry]:
    errors: dict[str, list[str]] = {}
    clean: dict[int, Entry] = {}
    for user_id, entry in entries.items():
        messages = []
        if user_id not in enrollment_by_user:
            messages.append(_("Diese Person ist in dieser Reihe nicht (mehr) eingeschrieben."))
        if entry.status not in STATUSES:
            messages.append(_("Unbekannter Status. Erlaubt sind: anwesend, verspätet, entschuldigt, unentschuldigt."))
        note = (entry.note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            messages.append(_("Die Notiz ist zu lang (höchstens %(n)d Zeichen).", n=NOTE_MAX_LENGTH))
        if messages:
            errors[str(user_id)] = messages
        else:
            clean[user_id] = Entry(entry.status, note)
    if errors:
        raise AttendanceError(_("Die Liste enthält ungültige Angaben. Es wurde nichts gespeichert."), errors)
    return clean


def _changed_since(session_id: int, series_id: int, version: int) -> list[ChangedRow]:
    editor = aliased(User)
    participant = aliased(User)
    rows = db.session.execute(
        select(Attendance, Enrollment.id, participant.id, participant.display_name, editor.display_name)
        .join(Enrollment, Attendance.enrollment_id == Enrollment.id)
        .join(participant, Enrollment.user_id == participant.id)
        .outerjoin(editor, Attendance.updated_by_id == editor.id)
        .where(
            Attendance.session_id == session_id,
            Attendance.roster_version > version,
            Enrollment.series_id == series_id,
            Enrollment.status != "withdrawn",
        )
        .order_by(participant.display_name, participant.id)
    ).all()
    changed = [
        ChangedRow(enrollment_id, user_id, name, attendance.status, attendance.note, attendance.updated_at, editor_name)
        for attendance, enrollment_id, user_id, name, editor_name in rows
    ]
    return sorted(changed, key=lambda row: sort_key(row.name))


def _existing_submission(key: str | None) -> RosterSubmission | None:
    return db.session.get(RosterSubmission, key) if key else None


def save_roster(
    session_id: int,
    version: int,
    entries: Mapping[int, Entry],
    *,
    actor_id: int | None,
    submission_key: str | None = None,
) -> SaveResult:
    """Save the statuses of a roster in one go.

    ``entries`` maps user ids to what the trainer set; participants not in it stay as they are.
    Refuses (``AttendanceError``) an unknown status, a too long note, a person who is not an
    active participant of the series, or any status but "excused" before the session has
    started (``refusal_before_start``) — nothing is written then. Refuses (``RosterConflict``) when
    the roster is no longer at ``version``. A ``submission_key`` seen before returns the earlier
    result with ``duplicate=True`` and writes nothing. Each changed row gets an audit event
    (before → after) and ``attendance_saved`` is sent once, in the caller's transaction.
    """
    session = db.session.get(Session, session_id)
    if session is None:
        raise AttendanceError(_("Diesen Termin gibt es nicht."))
    if submission_key is not None and not (0 < len(submission_key) <= SUBMISSION_KEY_MAX_LENGTH):
        raise AttendanceError(_("Das Formular ist unvollständig. Bitte laden Sie die Seite neu."))
    earlier = _existing_submission(submission_key)
    if earlier is not None and earlier.session_id == session_id:
        return SaveResult(version=earlier.version, duplicate=True)

    series_id = db.session.scalar(select(Module.series_id).where(Module.id == session.module_id))
    enrollment_by_user = dict(
        db.session.execute(
            select(Enrollment.user_id, Enrollment.id).where(Enrollment.series_id == series_id, Enrollment.status != "withdrawn")
        ).all()
    )
    clean = _validate(entries, enrollment_by_user)
    now_local = local_now()
    early = {
        str(user_id): [reason]
        for user_id, entry in clean.items()
        if (reason := refusal_before_start(session, entry.status, now_local)) is not None
    }
    if early:
        raise AttendanceError(next(iter(early.values()))[0] + " " + _("Es wurde nichts gespeichert."), early)
    changes = _changes(session_id, clean, enrollment_by_user)

    new_version = version + 1
    now = utcnow()
    if changes:
        # The one statement that decides who wins: conditional on the version the form was loaded with.
        won = db.session.execute(
            update(Session)
            .where(Session.id == session_id, Session.attendance_version == version)
            .values(attendance_version=new_version, attendance_updated_at=now, attendance_updated_by_id=actor_id)
            .execution_options(synchronize_session=False)
        ).rowcount
    else:
        # Nothing to write; still tell the user if the list moved on meanwhile.
        current = db.session.scalar(select(Session.attendance_version).where(Session.id == session_id))
        if current == version:
            return SaveResult(version=version)
        won = 0
    if won != 1:
        # The same form may have been saved by a parallel request that committed meanwhile.
        earlier = _existing_submission(submission_key)
        if earlier is not None and earlier.session_id == session_id:
            return SaveResult(version=earlier.version, duplicate=True)
        db.session.expire(session)
        current = db.session.get(Session, session_id)
        editor = db.session.get(User, current.attendance_updated_by_id) if current.attendance_updated_by_id else None
        raise RosterConflict(
            current.attendance_version,
            _changed_since(session_id, series_id, version),
            editor.display_name if editor else None,
            current.attendance_updated_at,
        )
    db.session.expire(session, ["attendance_version", "attendance_updated_at", "attendance_updated_by_id"])

    if submission_key is not None:
        db.session.add(RosterSubmission(key=submission_key, session_id=session_id, version=new_version))

    try:
        with db.session.begin_nested():
            written = _write_rows(session_id, changes, new_version, now, actor_id)
    except IntegrityError:
        # A participant's self check-in (which keeps the roster's version) inserted a row
        # between our read and our write. The trainer's mark is the later word: read the rows
        # again and write over the check-in, as if it had come a moment earlier.
        changes = _changes(session_id, clean, enrollment_by_user)
        with db.session.begin_nested():
            written = _write_rows(session_id, changes, new_version, now, actor_id)
    changed_enrollments = {row.enrollment_id for _user_id, row, _before, _entry in written}
    for user_id, row, before, entry in written:
        record(
            "attendance.recorded" if before is None else "attendance.changed",
            "attendance",
            row.id,
            before=before,
            after={"status": entry.status, "note": entry.note, "roster_version": new_version},
            actor_id=actor_id,
            subject_user_id=user_id,
            series_id=series_id,
            module_id=session.module_id,
            session_id=session_id,
        )
    db.session.flush()
    from wirlearn.progress import kept

    kept.attendance_saved(db.session, series_id, version, changed_enrollments)
    signals.attendance_saved.send(session, changed_enrollment_ids=changed_enrollments)
    return SaveResult(version=new_version, changed_enrollment_ids=changed_enrollments)


def _changes(
    session_id: int, clean: Mapping[int, Entry], enrollment_by_user: Mapping[int, int]
) -> list[tuple[int, int, Attendance | None, Entry]]:
    """The entries that differ from the stored rows: (user, enrollment, stored row or None, entry)."""
    existing = {
        row.enrollment_id: row
        for row in db.session.scalars(
            select(Attendance).where(
                Attendance.session_id == session_id, Attendance.enrollment_id.in_([enrollment_by_user[u] for u in clean])
            )
        )
    }
    changes = []
    for user_id, entry in clean.items():
        row = existing.get(enrollment_by_user[user_id])
        if row is None or row.status != entry.status or row.note != entry.note:
            changes.append((user_id, enrollment_by_user[user_id], row, entry))
    return changes


def _write_rows(
    session_id: int,
    changes: list[tuple[int, int, Attendance | None, Entry]],
    version: int,
    now: datetime,
    actor_id: int | None,
) -> list[tuple[int, Attendance, dict | None, Entry]]:
    """Insert or update the changed rows with one flush (batched UPDATE/INSERT): a fixed number
    of statements however many rows a roster changes. Returns (user, row, before, entry)."""
    written = []
    for user_id, enrollment_id, row, entry in changes:
        before = {"status": row.status, "note": row.note} if row else None
        if row is None:
            row = Attendance(session_id=session_id, enrollment_id=enrollment_id)
            db.session.add(row)
        row.status = entry.status
        row.note = entry.note
        row.roster_version = version
        row.updated_at = now
        row.updated_by_id = actor_id
        written.append((user_id, row, before, entry))
    db.session.flush()
    return written


def sessions_recorded_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """How many active participants have a status recorded, per session (one query)."""
    ids = list(session_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Attendance.session_id, func.count())
            .join(Enrollment, Attendance.enrollment_id == Enrollment.id)
            .where(Attendance.session_id.in_(ids), Enrollment.status != "withdrawn")
            .group_by(Attendance.session_id)
        ).all()
    )
