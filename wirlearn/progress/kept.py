"""Progress kept current in the write: one ``progress_records`` row per enrollment.

``compute_progress`` (wirlearn.progress.services) stays the one place of the rules; this module
only stores what it said and reads it back:

* **Writing**: every service that changes something progress depends on calls
  ``progress_changed(session, enrollment_ids)`` (attendance, assessments, enrolments) or
  ``series_changed(session, series_id)`` (sessions, modules, the series' rules) before it
  returns, in the same transaction. The records are recomputed with ``progress_for_enrollments``
  — the loader the pages always used — in chunks of ``CHUNK`` enrollments (a rule change in a
  series of 10,000 takes bounded memory), and written with one upsert per chunk. On PostgreSQL
  the enrollments are locked first (``FOR UPDATE``, in id order), so two transactions that
  change the same person compute one after the other and the later one sees the earlier's data.
* **Time**: a record holds until the next session end of its series (``valid_until``); then a
  session moves from "to come" to "ended". Reading treats such a record like a missing one and
  computes it afresh; the periodic job ``progress.refresh_due`` and ``flask progress refresh``
  write the new state.
* **Reading**: ``progress_for_series`` returns every enrollment of a series in name order from
  the records (names and regions joined fresh; a rename or region move rewrites the person's
  records only so that their revision moves), computing only missing or out-of-date ones.
  ``series_progress_body`` writes the API's JSON straight from the rows. ``read_series`` with
  ``changed_since`` reads only records stamped after a change-counter value (the overview).
* After each chunk is written, the signal ``progress_kept`` tells other features (sender: the
  series id, ``enrollment_ids``).
* **Safety net**: attendance, assessment and enrollment rows written through the ORM session
  by a path that did not call ``progress_changed`` (a new feature, a script) are noticed at
  flush, and their records are recomputed right before the commit. Bulk statements and raw
  SQL are not seen: run ``flask progress refresh`` after them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from itertools import islice
from typing import Any

import orjson
from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import Select, event, func, inspect, select, update
from sqlalchemy.orm import Session as OrmSession

from wirlearn import signals
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User
from wirlearn.core import changes
from wirlearn.core.collation import sort_key
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session
from wirlearn.progress.models import ProgressRecord
from wirlearn.progress.services import (
    PASSED,
    ModuleProgress,
    ParticipantProgress,
    moment,
    percent,
    progress_for_enrollments,
    rate,
)

CHUNK = 500
# session.info keys: enrollments whose rows were flushed in this transaction, and those whose
# records were written (the safety net recomputes the difference before the commit).
WRITTEN = "wirlearn_progress_written"
KEPT = "wirlearn_progress_kept"
RENAMED = "wirlearn_progress_renamed"  # users whose name or region changed
STAMP = "wirlearn_progress_stamp"  # records to stamp with the change counter at the commit


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


# -- writing -----------------------------------------------------------------------------------


def progress_changed(session: OrmSession, enrollment_ids: Iterable[int], now: datetime | None = None) -> None:
    """Recompute and store the records of ``enrollment_ids`` in ``session``'s transaction
    (flushes, never commits). ``now``: the local moment to compute at (default: now)."""
    ids = sorted(set(enrollment_ids))
    if not ids:
        return
    session.flush()
    at = now or moment(None)
    languages = tuple(current_app.config["LANGUAGES"])
    for chunk in _chunks(ids):
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(Enrollment.id).where(Enrollment.id.in_(chunk)).order_by(Enrollment.id).with_for_update())
        computed: dict[str, list[ParticipantProgress]] = {}
        for language in languages:
            with force_locale(language):
                computed[language] = progress_for_enrollments(chunk, today=at)
        if not computed[languages[0]]:
            continue
        series_ids = {item.series_id for item in computed[languages[0]]}
        next_end = _next_session_ends(session, series_ids, at)
        missing = {language: {item.enrollment_id: item.missing for item in items} for language, items in computed.items()}
        rows = [
            _row(
                item,
                {language: missing[language][item.enrollment_id] for language in languages},
                at,
                next_end.get(item.series_id),
            )
            for item in computed[languages[0]]
        ]
        _upsert(session, rows)
        session.info.setdefault(KEPT, set()).update(chunk)
        session.info.setdefault(STAMP, set()).update(chunk)
        by_series: dict[int, list[int]] = {}
        for item in computed[languages[0]]:
            by_series.setdefault(item.series_id, []).append(item.enrollment_id)
        for series_id, changed in by_series.items():
            signals.progress_kept.send(series_id, enrollment_ids=changed)


@event.listens_for(OrmSession, "after_flush")
def _note_written_rows(session: OrmSession, _context) -> None:
    written = session.info.setdefault(WRITTEN, set())
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(item, Attendance | Assessment):
            written.add(item.enrollment_id)
        elif isinstance(item, Enrollment) and item.id is not None:
            written.add(item.id)
        elif isinstance(item, User) and item.id is not None and _renamed_or_moved(item):
            # No record holds a name or region, but the overview re-reads a participant when
            # the record's revision moves: rewrite the records of someone renamed or moved.
            session.info.setdefault(RENAMED, set()).add(item.id)


def _renamed_or_moved(user: User) -> bool:
    state = inspect(user)
    return state.attrs.display_name.history.has_changes() or state.attrs.region_id.history.has_changes()


def _keep_what_no_hook_kept(session: OrmSession) -> None:
    """At the commit (core.changes, before the change counter moves): the records of
    enrollments whose rows were written without a hook keeping them."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    missed = session.info.get(WRITTEN, set()) - session.info.get(KEPT, set())
    renamed = session.info.pop(RENAMED, None)
    if renamed:
        missed |= set(session.scalars(select(Enrollment.id).where(Enrollment.user_id.in_(sorted(renamed))))) - session.info.get(
            KEPT, set()
        )
    if missed:
        # Deleted enrollments have no record to keep (their rows went with them).
        existing = list(session.scalars(select(Enrollment.id).where(Enrollment.id.in_(sorted(missed)))))
        progress_changed(session, existing)
    session.info.pop(WRITTEN, None)
    session.info.pop(KEPT, None)


def _stamp_written_records(session: OrmSession, version: int) -> None:
    """Give every record written in this transaction the change counter's new value, under its
    row lock: the overview then finds the records changed since the version it was built at."""
    stamped = sorted(session.info.pop(STAMP, ()))
    for chunk in _chunks(stamped):
        session.execute(
            update(ProgressRecord)
            .where(ProgressRecord.enrollment_id.in_(chunk))
            .values(revision=version)
            .execution_options(synchronize_session=False)
        )


changes.BEFORE_BUMP.append(_keep_what_no_hook_kept)
changes.AFTER_BUMP.append(_stamp_written_records)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_at_the_end(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(STAMP, None)
        session.info.pop(RENAMED, None)
        session.info.pop(WRITTEN, None)
        session.info.pop(KEPT, None)


def series_changed(session: OrmSession, series_id: int, now: datetime | None = None) -> None:
    """Recompute every record of a series (a session, a module or a rule changed), in chunks."""
    session.flush()
    ids = list(session.scalars(select(Enrollment.id).where(Enrollment.series_id == series_id).order_by(Enrollment.id)))
    progress_changed(session, ids, now=now)


def attendance_saved(session: OrmSession, series_id: int, previous_version: int, enrollment_ids: Iterable[int]) -> None:
    """A roster was saved. Its first save makes the session "recorded" for everyone in the
    series (held, not "not recorded yet"); later saves change only the rows they wrote."""
    if previous_version == 0:
        series_changed(session, series_id)
    else:
        progress_changed(session, enrollment_ids)


def refresh(session: OrmSession, series_id: int | None = None, *, due_only: bool = False) -> int:
    """Rebuild records: of one series or all, only missing and out-of-date ones with
    ``due_only``. Returns the number of enrollments recomputed."""
    at = moment(None)
    query = select(Enrollment.id).order_by(Enrollment.id)
    if series_id is not None:
        query = query.where(Enrollment.series_id == series_id)
    if due_only:
        query = query.outerjoin(ProgressRecord, ProgressRecord.enrollment_id == Enrollment.id).where(
            ProgressRecord.enrollment_id.is_(None) | (ProgressRecord.valid_until <= at) | (ProgressRecord.computed_at > at)
        )
    ids = list(session.scalars(query))
    progress_changed(session, ids, now=at)
    return len(ids)


def refresh_due() -> int:
    """The periodic job: records that a session end has overtaken (and any missing)."""
    return refresh(db.session, due_only=True)


def _next_session_ends(session: OrmSession, series_ids: set[int], at: datetime) -> dict[int, datetime]:
    ends: dict[int, datetime] = {}
    for series_id, day, end_time in session.execute(
        select(Module.series_id, Session.date, Session.end_time)
        .join(Module, Module.id == Session.module_id)
        .where(Module.series_id.in_(series_ids), Session.date >= at.date())
    ):
        end = datetime.combine(day, end_time)
        if end > at and (series_id not in ends or end < ends[series_id]):
            ends[series_id] = end
    return ends


def _row(item: ParticipantProgress, missing: dict[str, list[str]], at: datetime, valid_until: datetime | None) -> dict:
    return {
        "enrollment_id": item.enrollment_id,
        "series_id": item.series_id,
        "enrollment_status": item.enrollment_status,
        "sessions_held": item.sessions_held,
        "sessions_attended": item.sessions_attended,
        "sessions_upcoming": item.sessions_upcoming,
        "sessions_unrecorded": item.sessions_unrecorded,
        "attendance_met": item.attendance_met,
        "eligible": item.eligible,
        "reachable": item.reachable,
        "modules": _dumps(
            [
                [
                    module.module_id,
                    module.sessions_held,
                    module.sessions_attended,
                    module.sessions_upcoming,
                    module.sessions_unrecorded,
                    module.sessions_total,
                    module.assessment,
                    module.state,
                    None if module.points is None else str(module.points),
                    module.attempts,
                ]
                for module in item.modules
            ]
        ),
        "module_results": _dumps({str(module.module_id): module.assessment for module in item.modules}),
        "missing": _dumps(missing),
        "computed_at": at,
        "valid_until": valid_until,
    }


def _upsert(session: OrmSession, rows: list[dict]) -> None:
    table = ProgressRecord.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.enrollment_id],
        set_={
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in ("enrollment_id", "revision")  # stamped at the commit
        },
    )
    session.execute(statement, rows)


# -- reading -----------------------------------------------------------------------------------


class ModuleInfo:
    """What a module contributes to its results beyond the record (it may have been renamed)."""

    __slots__ = ("assessment_kind", "max_points", "pass_mark", "position", "required", "teaching_units", "title")

    def __init__(self, title, position, required, teaching_units, assessment_kind, max_points, pass_mark):
        self.title, self.position, self.required, self.teaching_units = title, position, required, teaching_units
        self.assessment_kind, self.max_points, self.pass_mark = assessment_kind, max_points, pass_mark


class KeptProgress:
    """A participant's progress read from the record: the attributes of ``ParticipantProgress``
    the overview, the export and the API use (not the per-session detail of the participant
    page, which computes afresh). The module list is built when first asked for, so a page of
    50 of 10,000 rows builds 50."""

    __slots__ = (
        "__dict__",
        "_missing",
        "_modules_json",
        "_module_info",
        "_language",
        "attendance_met",
        "eligible",
        "enrollment_id",
        "enrollment_status",
        "min_attendance_percent",
        "module_results",
        "name",
        "reachable",
        "regierungsbezirk",
        "region",
        "region_id",
        "series_id",
        "sessions_attended",
        "sessions_held",
        "sessions_unrecorded",
        "sessions_upcoming",
        "user_id",
    )

    def __init__(self, row, module_info: dict[int, ModuleInfo], min_attendance_percent: int, language: str):
        (
            self.enrollment_id,
            self.series_id,
            self.user_id,
            self.name,
            self.region_id,
            self.region,
            self.regierungsbezirk,
            self.enrollment_status,
            self.sessions_held,
            self.sessions_attended,
            self.sessions_upcoming,
            self.sessions_unrecorded,
            self.attendance_met,
            self.eligible,
            self.reachable,
            self.module_results,
        ) = row[:KEPT_FIELDS]
        # The module list and the sentences: read with the row for the API, else for the rows
        # a page shows (load_details), so the overview reads 10,000 narrow rows.
        self._modules_json, self._missing = (row[MODULES], row[MISSING]) if len(row) > MODULES else (None, None)
        self._module_info = module_info
        self.min_attendance_percent = min_attendance_percent
        self._language = language

    @property
    def withdrawn(self) -> bool:
        return self.enrollment_status == "withdrawn"

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.sessions_attended, self.sessions_held)

    @property
    def attendance_percent(self) -> int | None:
        return percent(self.sessions_attended, self.sessions_held)

    @cached_property
    def missing(self) -> list[str]:
        if self._missing is None:
            load_details([self])
        by_language = orjson.loads(self._missing)
        return by_language.get(self._language) or next(iter(by_language.values()), [])

    @cached_property
    def modules(self) -> list[ModuleProgress]:
        if self._modules_json is None:
            load_details([self])
        result = []
        for number, entry in enumerate(orjson.loads(self._modules_json), start=1):
            module_id, held, attended, upcoming, unrecorded, total, assessment, state, points, attempts = entry
            info = self._module_info.get(module_id)
            if info is None:  # deleted meanwhile (the series' records are being rewritten)
                continue
            result.append(
                ModuleProgress(
                    module_id=module_id,
                    title=info.title,
                    position=info.position,
                    required=info.required,
                    teaching_units=info.teaching_units,
                    sessions_total=total,
                    sessions_held=held,
                    sessions_attended=attended,
                    attendance_rate=rate(attended, held),
                    assessment=assessment,
                    points=None if points is None else Decimal(points),
                    number=number,
                    sessions_upcoming=upcoming,
                    sessions_unrecorded=unrecorded,
                    attendance_percent=percent(attended, held),
                    state=state,
                    assessment_kind=info.assessment_kind,
                    max_points=info.max_points,
                    pass_mark=info.pass_mark,
                    attempts=attempts,
                )
            )
        return result

    @property
    def modules_passed(self) -> int:
        return sum(1 for item in self.modules if item.assessment == PASSED)

    @property
    def required_modules(self) -> int:
        return sum(1 for item in self.modules if item.required)

    @property
    def required_passed(self) -> int:
        return sum(1 for item in self.modules if item.required and item.assessment == PASSED)


def module_results(progress: KeptProgress | ParticipantProgress) -> str:
    """{module id: assessment} as stored text, for counting results per module by pattern."""
    if isinstance(progress, KeptProgress):
        return progress.module_results
    return _dumps({str(module.module_id): module.assessment for module in progress.modules})


def load_details(items: Iterable[KeptProgress | ParticipantProgress]) -> None:
    """Read the module lists and sentences of ``items`` read without them: one query per
    ``CHUNK`` (the overview calls it for the page it shows, the export for every row)."""
    waiting = {item.enrollment_id: item for item in items if isinstance(item, KeptProgress) and item._modules_json is None}
    # At least one query, also for an empty page or one read before: a view costs the same
    # number of statements whatever it shows (tests/functional/test_progress_query_counts.py).
    for chunk in list(_chunks(sorted(waiting))) or [[]]:
        for enrollment_id, modules, missing in db.session.connection().execute(
            select(ProgressRecord.enrollment_id, ProgressRecord.modules, ProgressRecord.missing).where(
                ProgressRecord.enrollment_id.in_(chunk)
            )
        ):
            waiting[enrollment_id]._modules_json, waiting[enrollment_id]._missing = modules, missing


# What a record row holds, in order: the 16 fields of ``KeptProgress`` (same names), what tells
# whether the record is current, then (``details``) the module list and the sentences. Rows are
# plain tuples read by position (10,000 of them per series); the positions below are derived
# from this one list.
RECORD_COLUMNS = (
    ("enrollment_id", Enrollment.id),
    ("series_id", Enrollment.series_id),
    ("user_id", Enrollment.user_id),
    ("name", User.display_name),
    ("region_id", Region.id),
    ("region", Region.name),
    ("regierungsbezirk", Region.regierungsbezirk),
    ("enrollment_status", ProgressRecord.enrollment_status),
    ("sessions_held", ProgressRecord.sessions_held),
    ("sessions_attended", ProgressRecord.sessions_attended),
    ("sessions_upcoming", ProgressRecord.sessions_upcoming),
    ("sessions_unrecorded", ProgressRecord.sessions_unrecorded),
    ("attendance_met", ProgressRecord.attendance_met),
    ("eligible", ProgressRecord.eligible),
    ("reachable", ProgressRecord.reachable),
    ("module_results", ProgressRecord.module_results),
    ("status_now", Enrollment.status),
    ("computed_at", ProgressRecord.computed_at),
    ("valid_until", ProgressRecord.valid_until),
    ("revision", ProgressRecord.revision),
    ("modules", ProgressRecord.modules),
    ("missing", ProgressRecord.missing),
)
_AT = {name: position for position, (name, _column) in enumerate(RECORD_COLUMNS)}
KEPT_FIELDS = _AT["module_results"] + 1  # the first 16 columns are KeptProgress's fields
(ENROLLMENT_ID, NAME, ENROLLMENT_STATUS, ELIGIBLE, REACHABLE) = (
    _AT[name] for name in ("enrollment_id", "name", "enrollment_status", "eligible", "reachable")
)
(STATUS_NOW, COMPUTED_AT, VALID_UNTIL, REVISION, MODULES, MISSING, REGION_ID) = (
    _AT[name] for name in ("status_now", "computed_at", "valid_until", "revision", "modules", "missing", "region_id")
)


def _series_rows_query(series_id: int, columns: list) -> Select:
    return (
        select(*columns)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Region, Region.id == User.region_id)
        .outerjoin(ProgressRecord, ProgressRecord.enrollment_id == Enrollment.id)
        .where(Enrollment.series_id == series_id)
    )


def _record_rows(series_id: int, *, details: bool = False, ordered: bool = True, changed_since: int | None = None):
    columns = [column for _name, column in RECORD_COLUMNS[: MODULES if not details else len(RECORD_COLUMNS)]]
    query = _series_rows_query(series_id, columns)
    if changed_since is not None:
        query = query.where(ProgressRecord.revision > changed_since)
    # Core, not the ORM: 10,000 plain tuples without ORM row processing.
    rows = db.session.connection().execute(query).all()
    if ordered:  # German order (core.collation), not the database's
        rows.sort(key=lambda row: (sort_key(row[NAME]), row[ENROLLMENT_ID]))
    return rows


def _is_current(row, at: datetime) -> bool:
    status_now, computed_at, valid_until = row[STATUS_NOW], row[COMPUTED_AT], row[VALID_UNTIL]
    # A record whose enrollment status differs was written before a change no hook announced.
    return (
        computed_at is not None
        and computed_at <= at
        and (valid_until is None or at < valid_until)
        and status_now == row[ENROLLMENT_STATUS]
    )


# -- what changed since a series was read (the overview's per-worker figures) -----------------


@dataclass(frozen=True)
class SeriesRead:
    """A series' progress as read from its records."""

    items: list
    rules: tuple | None  # the series' minimum and modules the records were read with (None: no rows)
    complete: bool  # every item came from a current record (none computed afresh)


def reading_key(series_id: int) -> tuple:
    """The series' minimum and modules: what ``KeptProgress`` objects read besides the record."""
    min_percent = db.session.scalar(select(Series.min_attendance_percent).where(Series.id == series_id))
    return (min_percent, _info_key(module_info(series_id)))


def _info_key(info: dict[int, ModuleInfo]) -> tuple:
    return tuple(
        (module_id, *(getattr(module, name) for name in ModuleInfo.__slots__)) for module_id, module in sorted(info.items())
    )


def read_series(series_id: int, at: datetime, *, ordered: bool = False, changed_since: int | None = None) -> SeriesRead:
    """Progress of a series' enrollments from the records (unordered unless ``ordered``); with
    ``changed_since`` only the records stamped with a later change-counter value (written by a
    transaction that committed after that value). Records not current at ``at`` are computed
    afresh (then ``complete`` is False)."""
    rows = _record_rows(series_id, ordered=ordered, changed_since=changed_since)
    if not rows:
        return SeriesRead([], None, True)
    min_percent, info, language, fresh = _reading(series_id, rows, at)
    items = [fresh.get(row[ENROLLMENT_ID]) or KeptProgress(row, info, min_percent, language) for row in rows]
    return SeriesRead(items, (min_percent, _info_key(info)), not fresh)


def enrollments_count(series_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.series_id == series_id)) or 0


def module_info(series_id: int) -> dict[int, ModuleInfo]:
    return {
        module_id: ModuleInfo(*rest)
        for module_id, *rest in db.session.execute(
            select(
                Module.id,
                Module.title,
                Module.position,
                Module.required,
                Module.teaching_units,
                Module.assessment_kind,
                Module.max_points,
                Module.pass_mark,
            ).where(Module.series_id == series_id)
        )
    }


def progress_for_series(
    series_id: int, now: datetime | None = None, *, ordered: bool = True
) -> list[KeptProgress | ParticipantProgress]:
    """Every enrollment of a series, ordered by name (as ``services.progress_for_series``): from
    the records, and computed afresh for any record that is missing or out of date. A fixed
    number of queries while the records are current. ``ordered=False``: in no particular order
    (the overview sorts by its own key anyway, and the database need not sort 10,000 rows)."""
    return read_series(series_id, now or moment(None), ordered=ordered).items


def _reading(series_id: int, rows, at: datetime) -> tuple[int, dict[int, ModuleInfo], str, dict]:
    """What reading a series' records needs besides the rows: its minimum, its modules, the
    reader's language, and progress computed afresh for every record not current at ``at``."""
    min_percent = db.session.scalar(select(Series.min_attendance_percent).where(Series.id == series_id))
    language = str(get_locale() or current_app.config["LANGUAGES"][0])
    stale = [row[ENROLLMENT_ID] for row in rows if not _is_current(row, at)]
    fresh = {item.enrollment_id: item for item in progress_for_enrollments(stale, today=at)} if stale else {}
    return min_percent, module_info(series_id), language, fresh


# Items written per orjson call: small enough to stay in the CPU caches, large enough that the
# calls cost nothing.
BODY_CHUNK = 200


def series_progress_body(series_id: int) -> bytes:
    """The whole-series progress API's items (``ParticipantProgressSchema``) as one JSON array,
    built from the records without progress objects and written a few hundred at a time as they
    are made: never all in memory at once, so the cost stays linear in the participants (a list
    of 10,000 items with 8 modules each outgrew the CPU caches: 16 × the time of 1,000)."""
    items = _series_progress_items(series_id)
    parts = [orjson.dumps(chunk)[1:-1] for chunk in iter(lambda: list(islice(items, BODY_CHUNK)), [])]
    return b"[" + b",".join(parts) + b"]"


def _series_progress_items(series_id: int) -> Iterator[dict]:
    at = moment(None)
    rows = _record_rows(series_id, details=True)
    if not rows:
        return
    min_percent, info, language, fresh = _reading(series_id, rows, at)
    for row in rows:
        live = fresh.get(row[ENROLLMENT_ID])
        if live is not None:
            yield _api_item_from_progress(live)
            continue
        enrollment_id, series, user_id, name, _region_id, region, _bezirk, status, held, attended = row[:10]
        modules = []
        for number, entry in enumerate(orjson.loads(row[MODULES]), start=1):
            module_id, m_held, m_attended, m_upcoming, _unrecorded, total, assessment, state, points, _attempts = entry
            module = info.get(module_id)
            if module is None:
                continue
            modules.append(
                {
                    "module_id": module_id,
                    "number": number,
                    "title": module.title,
                    "required": module.required,
                    "teaching_units": module.teaching_units,
                    "sessions_total": total,
                    "sessions_held": m_held,
                    "sessions_attended": m_attended,
                    "sessions_upcoming": m_upcoming,
                    "attendance_rate": rate(m_attended, m_held),
                    "assessment": assessment,
                    "state": state,
                    "points": None if points is None else float(points),
                }
            )
        missing = orjson.loads(row[MISSING])
        yield (
            {
                "user_id": user_id,
                "enrollment_id": enrollment_id,
                "series_id": series,
                "name": name,
                "region": region,
                "enrollment_status": status,
                "attendance_rate": rate(attended, held),
                "sessions_held": held,
                "sessions_attended": attended,
                "min_attendance_percent": min_percent,
                "modules": modules,
                "eligible": row[ELIGIBLE],
                "reachable": row[REACHABLE],
                "missing": missing.get(language) or next(iter(missing.values()), []),
            }
        )


def _api_item_from_progress(item: ParticipantProgress) -> dict:
    return {
        "user_id": item.user_id,
        "enrollment_id": item.enrollment_id,
        "series_id": item.series_id,
        "name": item.name,
        "region": item.region,
        "enrollment_status": item.enrollment_status,
        "attendance_rate": item.attendance_rate,
        "sessions_held": item.sessions_held,
        "sessions_attended": item.sessions_attended,
        "min_attendance_percent": item.min_attendance_percent,
        "modules": [
            {
                "module_id": module.module_id,
                "number": module.number,
                "title": module.title,
                "required": module.required,
                "teaching_units": module.teaching_units,
                "sessions_total": module.sessions_total,
                "sessions_held": module.sessions_held,
                "sessions_attended": module.sessions_attended,
                "sessions_upcoming": module.sessions_upcoming,
                "attendance_rate": module.attendance_rate,
                "assessment": module.assessment,
                "state": module.state,
                "points": None if module.points is None else float(module.points),
            }
            for module in item.modules
        ],
        "eligible": item.eligible,
        "reachable": item.reachable,
        "missing": list(item.missing),
    }


def records_count(series_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ProgressRecord).where(ProgressRecord.series_id == series_id)) or 0
