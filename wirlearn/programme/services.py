"""Setting up a programme: series, modules, sessions, enrollments.

Plain functions that flush but never commit: the caller's request is one transaction.
Problems the admin can fix are raised as ``ProgrammeError`` with a German message.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from wirlearn import signals
from wirlearn.audit.services import record
from wirlearn.auth.models import User, UserRole
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session

REGIONS_CSV = Path(__file__).with_name("data") / "hessen_gebietskoerperschaften.csv"

SERIES_FIELDS = (
    "title",
    "provider",
    "certificate_title",
    "description",
    "issuer_name",
    "place",
    "start_date",
    "end_date",
    "min_attendance_percent",
    "min_module_attendance_percent",
    "excused_counts",
    "late_counts",
    "validity_months",
    "auto_issue",
    "reminder_hour",
    "checkin_late_after_minutes",
    "sessions_before_enrollment_count",
)
MODULE_FIELDS = ("title", "description", "teaching_units", "required", "assessment_kind", "max_points", "pass_mark")
RULE_FIELDS = (
    "min_attendance_percent",
    "min_module_attendance_percent",
    "excused_counts",
    "late_counts",
    "sessions_before_enrollment_count",
)


class ProgrammeError(Exception):
    """A request the data does not allow; the message is for the user."""


def _keep_series(series_id: int) -> None:
    """Sessions, modules or rules changed: every kept progress record of the series is
    recomputed in this transaction (wirlearn.progress.kept)."""
    from wirlearn.progress import kept

    kept.series_changed(db.session, series_id)


def _keep_enrollments(enrollment_ids: Iterable[int]) -> None:
    from wirlearn.progress import kept

    kept.progress_changed(db.session, enrollment_ids)


def _changes(obj, fields: Iterable[str], values: dict) -> tuple[dict, dict]:
    before, after = {}, {}
    for name in fields:
        if name in values and getattr(obj, name) != values[name]:
            before[name] = _plain(getattr(obj, name))
            setattr(obj, name, values[name])
            after[name] = _plain(values[name])
    return before, after


def _plain(value):
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


# --- regions ----------------------------------------------------------------------------------


def seed_regions() -> int:
    """Create the Gebietskörperschaften of Hessen that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(Region.name)))
    added = 0
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["name"] in existing:
                continue
            db.session.add(
                Region(
                    name=row["name"],
                    kind=row["kind"],
                    code=row["kreisschluessel"] or None,
                    regierungsbezirk=row["regierungsbezirk"],
                    part_of=row["part_of"] or None,
                )
            )
            added += 1
    db.session.flush()
    return added


def update_region(region: Region, values: dict) -> None:
    duplicate = db.session.scalar(select(Region.id).where(Region.name == values["name"], Region.id != region.id))
    if duplicate:
        raise ProgrammeError(_("Es gibt bereits eine Gebietskörperschaft mit diesem Namen."))
    if values.get("code"):
        taken = db.session.scalar(select(Region.id).where(Region.code == values["code"], Region.id != region.id))
        if taken:
            raise ProgrammeError(_("Dieser Schlüssel ist bereits vergeben."))
    before, after = _changes(region, ("name", "kind", "code", "regierungsbezirk", "part_of"), values)
    if after:
        record("region.changed", "region", region.id, before=before, after=after)
    db.session.flush()


# --- series -----------------------------------------------------------------------------------


def _check_series_values(values: dict) -> None:
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise ProgrammeError(_("Das Ende darf nicht vor dem Beginn liegen."))


DEFAULT_REMINDER_HOUR = 17


def create_series(values: dict) -> Series:
    _check_series_values(values)
    values = {"reminder_hour": DEFAULT_REMINDER_HOUR} | values
    series = Series(**{name: values[name] for name in SERIES_FIELDS if name in values})
    db.session.add(series)
    db.session.flush()
    record("series.created", "series", series.id, after={k: _plain(v) for k, v in values.items()}, series_id=series.id)
    return series


def update_series(series: Series, values: dict) -> None:
    _check_series_values(values)
    before, after = _changes(series, SERIES_FIELDS, values)
    if after:
        action = "series.rules_changed" if set(after) & set(RULE_FIELDS) else "series.changed"
        record(action, "series", series.id, before=before, after=after, series_id=series.id)
    db.session.flush()
    if set(after) & set(RULE_FIELDS):
        _keep_series(series.id)


# --- modules ----------------------------------------------------------------------------------


def _check_module_values(values: dict) -> None:
    if values.get("assessment_kind") == "points":
        max_points, pass_mark = values.get("max_points"), values.get("pass_mark")
        if not max_points or max_points <= 0:
            raise ProgrammeError(_("Für eine Bewertung nach Punkten braucht das Modul eine Höchstpunktzahl."))
        if pass_mark is None or not 0 <= pass_mark <= max_points:
            raise ProgrammeError(_("Die Bestehensgrenze muss zwischen 0 und der Höchstpunktzahl liegen."))
    else:
        values["max_points"] = None
        values["pass_mark"] = None


def add_module(series: Series, values: dict) -> Module:
    _check_module_values(values)
    last = db.session.scalar(select(func.max(Module.position)).where(Module.series_id == series.id))
    module = Module(series_id=series.id, position=(last or 0) + 1, **{k: values[k] for k in MODULE_FIELDS if k in values})
    db.session.add(module)
    db.session.flush()
    record(
        "module.created",
        "module",
        module.id,
        after={k: values.get(k) for k in MODULE_FIELDS},
        series_id=series.id,
        module_id=module.id,
    )
    _keep_series(series.id)
    return module


def update_module(module: Module, values: dict) -> None:
    _check_module_values(values)
    if values.get("assessment_kind") != module.assessment_kind and has_assessments(module):
        raise ProgrammeError(_("Die Art der Bewertung kann nicht mehr geändert werden: Es gibt schon Bewertungen."))
    before, after = _changes(module, MODULE_FIELDS, values)
    if after:
        record("module.changed", "module", module.id, before=before, after=after, series_id=module.series_id, module_id=module.id)
    db.session.flush()
    if after:
        _keep_series(module.series_id)


def move_module(module: Module, direction: int) -> None:
    """Swap the module with its neighbour (direction -1: up, +1: down)."""
    siblings = list(
        db.session.scalars(select(Module).where(Module.series_id == module.series_id).order_by(Module.position, Module.id))
    )
    for index, sibling in enumerate(siblings, start=1):
        sibling.position = index  # normalise gaps and duplicates first
    where = siblings.index(module)
    target = where + direction
    if 0 <= target < len(siblings):
        other = siblings[target]
        module.position, other.position = other.position, module.position
        record(
            "module.moved",
            "module",
            module.id,
            after={"position": module.position},
            series_id=module.series_id,
            module_id=module.id,
        )
    db.session.flush()
    _keep_series(module.series_id)


def has_assessments(module: Module) -> bool:
    from wirlearn.assessments.models import Assessment

    return db.session.scalar(select(func.count()).select_from(Assessment).where(Assessment.module_id == module.id)) > 0


def delete_module(module: Module) -> None:
    if has_assessments(module) or any(session_has_attendance(session) for session in module.sessions):
        raise ProgrammeError(_("Das Modul hat schon Anwesenheiten oder Bewertungen und kann nicht gelöscht werden."))
    series_id = module.series_id
    record("module.deleted", "module", module.id, before={"title": module.title}, series_id=series_id, module_id=module.id)
    db.session.delete(module)
    db.session.flush()
    _keep_series(series_id)


# --- sessions ---------------------------------------------------------------------------------


def _trainers(trainer_ids: Iterable[int]) -> list[User]:
    ids = set(trainer_ids)
    if not ids:
        return []
    users = list(
        db.session.scalars(select(User).join(UserRole).where(User.id.in_(ids), UserRole.role == "trainer", User.active.is_(True)))
    )
    if len(users) != len(ids):
        raise ProgrammeError(_("Nur aktive Personen mit der Rolle Trainer/in können einem Termin zugeordnet werden."))
    return users


def _check_session_values(values: dict) -> None:
    if values["end_time"] <= values["start_time"]:
        raise ProgrammeError(_("Das Ende des Termins muss nach dem Beginn liegen."))


def add_session(module: Module, values: dict, trainer_ids: Iterable[int]) -> Session:
    _check_session_values(values)
    session = Session(
        module_id=module.id,
        date=values["date"],
        start_time=values["start_time"],
        end_time=values["end_time"],
        place=values.get("place", ""),
    )
    session.trainers = _trainers(trainer_ids)
    db.session.add(session)
    db.session.flush()
    record(
        "session.created",
        "session",
        session.id,
        after={
            **{k: _plain(values[k]) for k in ("date", "start_time", "end_time")},
            "place": session.place,
            "trainers": sorted(trainer_ids),
        },
        series_id=module.series_id,
        module_id=module.id,
        session_id=session.id,
    )
    _keep_series(module.series_id)
    return session


def update_session(session: Session, values: dict, trainer_ids: Iterable[int]) -> None:
    _check_session_values(values)
    before, after = _changes(session, ("date", "start_time", "end_time", "place"), values)
    moved = bool(after)
    if moved:
        session.calendar_sequence += 1
    old_trainers = sorted(t.id for t in session.trainers)
    new_trainers = sorted(set(trainer_ids))
    if old_trainers != new_trainers:
        session.trainers = _trainers(new_trainers)
        before["trainers"], after["trainers"] = old_trainers, new_trainers
    if after:
        record(
            "session.changed",
            "session",
            session.id,
            before=before,
            after=after,
            series_id=session.module.series_id,
            module_id=session.module_id,
            session_id=session.id,
        )
    db.session.flush()
    if moved:
        _keep_series(session.module.series_id)
        signals.session_changed.send(session, before=before)


def session_has_attendance(session: Session) -> bool:
    from wirlearn.attendance.models import Attendance

    return db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.session_id == session.id)) > 0


def delete_session(session: Session) -> None:
    if session_has_attendance(session):
        raise ProgrammeError(_("Für diesen Termin ist schon Anwesenheit erfasst; er kann nicht gelöscht werden."))
    record(
        "session.deleted",
        "session",
        session.id,
        before={"date": _plain(session.date)},
        series_id=session.module.series_id,
        module_id=session.module_id,
        session_id=session.id,
    )
    signals.session_cancelled.send(session)
    series_id = session.module.series_id
    db.session.delete(session)
    db.session.flush()
    _keep_series(series_id)


# --- enrollments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrollResult:
    added: int
    reactivated: int
    unchanged: int
    enrollment_ids: tuple[int, ...] = ()  # added or reactivated


def enroll(series: Series, user_ids: Iterable[int]) -> EnrollResult:
    """Enroll coordinators; withdrawn ones become active again. All or nothing."""
    ids = set(user_ids)
    users = {
        user.id: user
        for user in db.session.scalars(select(User).join(UserRole).where(User.id.in_(ids), UserRole.role == "coordinator"))
    }
    if set(users) != ids:
        raise ProgrammeError(_("Nur Personen mit der Rolle Koordinator/in können eingeschrieben werden."))
    existing = {
        e.user_id: e
        for e in db.session.scalars(select(Enrollment).where(Enrollment.series_id == series.id, Enrollment.user_id.in_(ids)))
    }
    added = reactivated = unchanged = 0
    touched: list[int] = []
    for user_id in sorted(ids):
        enrollment = existing.get(user_id)
        if enrollment is None:
            enrollment = Enrollment(series_id=series.id, user_id=user_id, status="active")
            db.session.add(enrollment)
            db.session.flush()
            record(
                "enrollment.created",
                "enrollment",
                enrollment.id,
                after={"status": "active"},
                subject_user_id=user_id,
                series_id=series.id,
            )
            added += 1
            touched.append(enrollment.id)
        elif enrollment.status == "withdrawn":
            set_enrollment_status(enrollment, "active")
            reactivated += 1
            touched.append(enrollment.id)
        else:
            unchanged += 1
    db.session.flush()
    _keep_enrollments(touched)
    return EnrollResult(added, reactivated, unchanged, tuple(touched))


def set_enrollment_status(enrollment: Enrollment, status: str) -> None:
    if enrollment.status == status:
        return
    before = {"status": enrollment.status}
    enrollment.status = status
    enrollment.withdrawn_at = utcnow() if status == "withdrawn" else None
    record(
        "enrollment.status_changed",
        "enrollment",
        enrollment.id,
        before=before,
        after={"status": status},
        subject_user_id=enrollment.user_id,
        series_id=enrollment.series_id,
    )
    db.session.flush()
    _keep_enrollments([enrollment.id])
