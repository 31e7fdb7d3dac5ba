"""What the pages show beyond one participant's progress: certificate status, the programme
overview of a series (filters, sorting, counts, per-module and per-session figures), a
participant's record for the detail page and the dashboard. Each loads in a fixed number of
queries, however many participants a series has."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import Select, func, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.certificates.models import Certificate
from wirlearn.core.changes import current_version
from wirlearn.core.collation import sort_key
from wirlearn.core.gcpause import collector_paused
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session
from wirlearn.progress import kept
from wirlearn.progress.services import (
    ParticipantProgress,
    Rules,
    moment,
    percent,
    progress_for_enrollment,
    progress_for_series,
    progress_for_user,
)

# -- certificates ------------------------------------------------------------------------------

CERT_ISSUED, CERT_EXPIRED, CERT_REVOKED, CERT_ELIGIBLE, CERT_NOT_YET = "issued", "expired", "revoked", "eligible", "not_yet"


@dataclass(frozen=True)
class CertificateState:
    """What a participant's certificate card says: ``issued`` (a valid certificate), ``expired``,
    ``revoked`` (the latest one was revoked and none is valid), ``eligible`` (every rule met, not
    issued yet) or ``not_yet``."""

    status: str
    certificate_id: int | None = None
    code: str | None = None
    issued_at: datetime | None = None
    valid_until: datetime | None = None
    revoked_at: datetime | None = None


def certificates_by_enrollment(enrollment_ids: Select | list[int]) -> dict[int, Certificate]:
    """Per enrollment the certificate that counts: the valid one, else the newest. One query."""
    found: dict[int, Certificate] = {}
    rows = db.session.scalars(
        select(Certificate).where(Certificate.enrollment_id.in_(enrollment_ids)).order_by(Certificate.issued_at, Certificate.id)
    )
    for certificate in rows:
        current = found.get(certificate.enrollment_id)
        if current is None or current.status != "valid":
            found[certificate.enrollment_id] = certificate
    return found


def certificate_state(
    progress: ParticipantProgress, certificate: Certificate | None, now: datetime | None = None
) -> CertificateState:
    now = now or utcnow()
    if certificate is not None:
        details = {
            "certificate_id": certificate.id,
            "code": certificate.code,
            "issued_at": certificate.issued_at,
            "valid_until": certificate.valid_until,
            "revoked_at": certificate.revoked_at,
        }
        if certificate.status == "valid":
            expired = certificate.valid_until is not None and certificate.valid_until < now
            return CertificateState(CERT_EXPIRED if expired else CERT_ISSUED, **details)
        if certificate.status == "revoked" and not progress.eligible:
            return CertificateState(CERT_REVOKED, **details)
    return _ELIGIBLE if progress.eligible else _NOT_YET


# Shared: most participants have no certificate, and a state is immutable (10,000 rows).
_ELIGIBLE, _NOT_YET = CertificateState(CERT_ELIGIBLE), CertificateState(CERT_NOT_YET)


# -- the overview of a series ------------------------------------------------------------------

# One status per participant, for the filter, the sort order (who falls behind first) and the
# counts. "open" means something is missing that can still be done.
STATUS_UNREACHABLE, STATUS_OPEN, STATUS_ELIGIBLE, STATUS_CERTIFIED, STATUS_WITHDRAWN = (
    "unreachable",
    "open",
    "eligible",
    "certified",
    "withdrawn",
)
PARTICIPANT_STATUSES = (STATUS_UNREACHABLE, STATUS_OPEN, STATUS_ELIGIBLE, STATUS_CERTIFIED, STATUS_WITHDRAWN)
SORT_KEYS = ("name", "region", "bezirk", "attendance", "status")


def participant_status(progress: ParticipantProgress, certificate: CertificateState) -> str:
    if progress.withdrawn:
        return STATUS_WITHDRAWN
    if certificate.status == CERT_ISSUED:
        return STATUS_CERTIFIED
    if progress.eligible:
        return STATUS_ELIGIBLE
    if not progress.reachable:
        return STATUS_UNREACHABLE
    return STATUS_OPEN


@dataclass(frozen=True)
class Row:
    progress: ParticipantProgress
    status: str
    certificate: CertificateState


@dataclass(frozen=True)
class ModuleSummary:
    module_id: int
    number: int
    title: str
    required: bool
    teaching_units: int
    participants: int  # not withdrawn
    passed: int
    failed: int
    pending: int
    sessions_total: int
    sessions_held: int
    assessment_kind: str = "pass_fail"

    @property
    def passed_percent(self) -> int | None:
        return percent(self.passed, self.participants)


@dataclass(frozen=True)
class SessionSummary:
    session_id: int
    module_number: int
    module_title: str
    date: date
    start_time: time
    end_time: time
    place: str
    held: bool
    attended: int  # counted as attended under the series' rules (participants not withdrawn)
    expected: int  # participants not withdrawn

    @property
    def attended_percent(self) -> int | None:
        return percent(self.attended, self.expected) if self.held else None


@dataclass(frozen=True)
class Counts:
    regions_covered: int
    regions_total: int
    enrolled: int  # every enrollment, withdrawn ones included
    withdrawn: int
    eligible: int  # every rule met now (certified ones included)
    certified: int  # enrollments with a valid certificate
    open: int
    unreachable: int


@dataclass(frozen=True)
class Filters:
    region_id: int | None = None
    bezirk: str | None = None
    status: str | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.region_id or self.bezirk or self.status)


# Rows per page of the overview: a page renders in the same time for 30 or 10,000 participants.
PER_PAGE = 50


@dataclass(frozen=True)
class RowsPage:
    """Which slice of the filtered rows a page shows (the attributes core/_pagination.html reads)."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def of(self, rows: list) -> list:
        start = (self.page - 1) * self.per_page
        return rows[start : start + self.per_page]


@dataclass(frozen=True)
class Overview:
    series: Series
    rules: Rules
    filters: Filters
    rows: list[Row]  # filtered and sorted (all pages: the export takes them all)
    total: int  # participants before filtering
    counts: Counts
    modules: list[ModuleSummary]
    sessions: list[SessionSummary]
    uncovered_regions: list[str]
    regions: list[tuple[int, str]] = field(default_factory=list)  # filter choices
    bezirke: list[str] = field(default_factory=list)
    page: RowsPage = field(default_factory=lambda: RowsPage(1, PER_PAGE, 0))

    @cached_property
    def page_rows(self) -> list[Row]:
        """The rows of the page asked for (their module lists read in one query)."""
        rows = self.page.of(self.rows)
        kept.load_details(row.progress for row in rows)
        return rows


def _sort_key(sort: str):
    order = {status: index for index, status in enumerate(PARTICIPANT_STATUSES)}
    keys = {
        "name": lambda row: (sort_key(row.progress.name),),
        "region": lambda row: (sort_key(row.progress.region), sort_key(row.progress.name)),
        "bezirk": lambda row: (
            sort_key(row.progress.regierungsbezirk),
            sort_key(row.progress.region),
            sort_key(row.progress.name),
        ),
        # Unknown rates (nothing held yet) sort first: nothing to compare.
        "attendance": lambda row: (
            -1 if row.progress.attendance_rate is None else row.progress.attendance_rate,
            sort_key(row.progress.name),
        ),
        "status": lambda row: (order[row.status], sort_key(row.progress.name)),
    }
    return keys[sort]


def filter_choices() -> tuple[list[tuple[int, str]], list[str]]:
    """Regions (id, name) and Regierungsbezirke the overview can be filtered by; one query."""
    regions = sorted(
        db.session.execute(select(Region.id, Region.name, Region.regierungsbezirk)).all(), key=lambda r: sort_key(r[1])
    )
    bezirke = sorted({bezirk for *_rest, bezirk in regions if bezirk}, key=sort_key)
    return [(region_id, name) for region_id, name, _bezirk in regions], bezirke


@dataclass(frozen=True)
class SeriesFigures:
    """Everything the overview shows about a whole series, before filters: computed from every
    participant's progress, so it is reused while nothing it depends on has changed."""

    rows: tuple[Row, ...]
    counts: Counts
    modules: list[ModuleSummary]
    sessions: list[SessionSummary]
    uncovered_regions: list[str]
    regions: list[tuple[int, str]]
    bezirke: list[str]
    # The figures depend on the clock only through which sessions have ended and which
    # certificates have expired: they hold until the next such moment.
    next_session_end: datetime | None = None  # local time, as progress compares it
    next_expiry: datetime | None = None  # UTC, as certificate states compare it

    def holds_at(self, now: datetime, now_utc: datetime) -> bool:
        return (self.next_session_end is None or now < self.next_session_end) and (
            self.next_expiry is None or now_utc < self.next_expiry
        )


# Per app (one per worker process): the figures of each series at one data version.
FIGURES_CACHE = "wirlearn_series_figures"


def series_figures(series_id: int, rules: Rules, today: date | datetime | None = None) -> SeriesFigures:
    """The figures of a series. For the current moment they come from a cache keyed by the
    database's change counter (wirlearn.core.changes), so any write anywhere, in any worker,
    makes the next view read again what changed since (``_rows_from_records``); the end of a
    session or the expiry of a certificate makes it read everything. One statement on a hit."""
    if today is not None:
        return _figures(series_id, rules, moment(today), utcnow())[0]
    now, now_utc = moment(None), utcnow()
    version = current_version()
    if version is None:
        return _figures(series_id, rules, now, now_utc, from_records=True)[0]
    cache = current_app.extensions.setdefault(FIGURES_CACHE, {})
    key = (series_id, str(get_locale()))  # the "what is missing" sentences are in the reader's language
    cached = cache.get(key)
    if cached is not None and cached[1].holds_at(now, now_utc):
        if cached[0] == version:
            return cached[1]
        previous = cached[2]  # something changed somewhere: re-read only what changed
    else:
        previous = None  # a session ended or a certificate expired since: read everything
    with collector_paused():
        figures, memo = _figures(series_id, rules, now, now_utc, version=version, previous=previous, from_records=True)
    cache[key] = (version, figures, memo)  # one entry per series and language: the newest
    return figures


# Per app (one per worker process): each series' attendance counts per session and status.
SESSION_COUNTS_CACHE = "wirlearn_session_counts"


def _session_counts(series_id: int, sessions: list[Session], rows: list[Row]) -> dict[int, Counter]:
    """Per session: how many participants (not withdrawn) have each status. Counting scans
    every attendance row of the series (about 100 ms for 10,000 participants), so the counts
    are kept per worker while nothing they depend on changed: every roster save raises its
    session's ``attendance_version``, and the enrollments (and who is withdrawn) are in ``rows``."""
    key = (
        tuple((session.id, session.attendance_version) for session in sessions),
        len(rows),
        frozenset(row.progress.enrollment_id for row in rows if row.progress.withdrawn),
    )
    cache = current_app.extensions.setdefault(SESSION_COUNTS_CACHE, {})
    cached = cache.get(series_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    per_session: dict[int, Counter] = defaultdict(Counter)
    for session_id, status, count in db.session.execute(
        select(Attendance.session_id, Attendance.status, func.count())
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .where(Enrollment.series_id == series_id, Enrollment.status != "withdrawn")
        .group_by(Attendance.session_id, Attendance.status)
    ):
        per_session[session_id][status] = count
    cache[series_id] = (key, per_session)
    return per_session


@dataclass(frozen=True, eq=False)
class _Memo:
    """What the figures of a series were built from, so that after a write only the participants
    whose record (stamped at each commit with the change counter, renames and region moves
    included) or certificate changed are read again."""

    version: int  # the change counter read before the figures were built
    reading: tuple  # kept.reading_key(): the series' minimum and modules
    regions: tuple  # every region's id, name and Regierungsbezirk
    certificates: dict[int, tuple]  # enrollment → _certificate_key()
    rows: tuple[Row, ...]  # in the overview's order (German order of names)
    positions: dict[int, int]  # enrollment → its index in rows


def _memo(version, reading, regions, certificates, rows, positions=None) -> _Memo:
    if positions is None:
        positions = {row.progress.enrollment_id: at for at, row in enumerate(rows)}
    return _Memo(version, reading, regions, certificates, tuple(rows), positions)


# A write that touches more participants than this rebuilds the figures from every record.
INCREMENTAL_LIMIT = 1000


def _certificate_key(certificate: Certificate | None) -> tuple | None:
    if certificate is None:
        return None
    return (
        certificate.id,
        certificate.status,
        certificate.code,
        certificate.issued_at,
        certificate.valid_until,
        certificate.revoked_at,
    )


def _regions() -> list[tuple[int, str, str | None]]:
    return sorted(db.session.execute(select(Region.id, Region.name, Region.regierungsbezirk)).all(), key=lambda r: sort_key(r[1]))


def _row(progress, certificates: dict[int, Certificate], now_utc: datetime) -> Row:
    state = certificate_state(progress, certificates.get(progress.enrollment_id), now_utc)
    return Row(progress, participant_status(progress, state), state)


def _in_name_order(rows) -> list[Row]:
    # German order of names (core.collation); rows come from the records unordered.
    return sorted(rows, key=lambda row: (sort_key(row.progress.name), row.progress.enrollment_id))


def _rows_from_records(
    series_id: int,
    now: datetime,
    now_utc: datetime,
    certificates: dict[int, Certificate],
    regions: list,
    version: int | None,
    previous: _Memo | None,
) -> tuple[list[Row], _Memo | None]:
    """Every participant's row from the kept records. With ``previous`` (the memo of the figures
    this worker built last for the series) only the records stamped after its version are read;
    every other row is taken over. Returns the rows and the memo for next time (``None`` when a
    record was not current or the counter is missing: then the next view reads everything)."""
    certificate_keys = {enrollment_id: _certificate_key(c) for enrollment_id, c in certificates.items()}
    regions_key = tuple(tuple(region) for region in regions)
    if previous is not None and previous.regions == regions_key and kept.reading_key(series_id) == previous.reading:
        read = kept.read_series(series_id, now, changed_since=previous.version)
        rows = list(previous.rows)
        position = previous.positions
        new = [progress for progress in read.items if progress.enrollment_id not in position]
        if (
            read.complete
            and read.rules in (None, previous.reading)
            and len(read.items) <= INCREMENTAL_LIMIT
            and kept.enrollments_count(series_id) == len(rows) + len(new)  # none deleted
        ):
            renamed = False
            for progress in read.items:
                at = position.get(progress.enrollment_id)
                if at is not None:
                    renamed = renamed or progress.name != rows[at].progress.name
                    rows[at] = _row(progress, certificates, now_utc)
            changed = {progress.enrollment_id for progress in read.items}
            certified = {eid for eid, key in certificate_keys.items() - previous.certificates.items()}
            certified |= previous.certificates.keys() - certificate_keys.keys()
            for enrollment_id in certified - changed:
                at = position[enrollment_id]
                rows[at] = _row(rows[at].progress, certificates, now_utc)
            if new or renamed:
                rows = _in_name_order([*rows, *(_row(progress, certificates, now_utc) for progress in new)])
                return rows, _memo(version, previous.reading, regions_key, certificate_keys, rows)
            return rows, _memo(version, previous.reading, regions_key, certificate_keys, rows, position)
    read = kept.read_series(series_id, now)
    rows = _in_name_order(_row(progress, certificates, now_utc) for progress in read.items)
    memo = (
        _memo(version, read.rules or kept.reading_key(series_id), regions_key, certificate_keys, rows)
        if read.complete and version is not None
        else None
    )
    return rows, memo


def _figures(
    series_id: int,
    rules: Rules,
    now: datetime,
    now_utc: datetime,
    *,
    version: int | None = None,
    previous: _Memo | None = None,
    from_records: bool = False,
) -> tuple[SeriesFigures, _Memo | None]:
    """The figures of a series at ``now``, and the memo for next time. ``from_records``: from the
    kept progress records (the present moment; ``previous``: re-read only what changed since);
    otherwise everyone's progress computed at ``now`` (a moment in the past or future)."""
    enrollment_ids = select(Enrollment.id).where(Enrollment.series_id == series_id)
    certificates = certificates_by_enrollment(enrollment_ids)
    regions = _regions()
    memo = None
    if from_records:
        all_rows, memo = _rows_from_records(series_id, now, now_utc, certificates, regions, version, previous)
    else:
        all_rows = _in_name_order(_row(progress, certificates, now_utc) for progress in progress_for_series(series_id, today=now))

    modules = list(db.session.scalars(select(Module).where(Module.series_id == series_id).order_by(Module.position, Module.id)))
    numbers = {module.id: number for number, module in enumerate(modules, start=1)}
    sessions = list(
        db.session.scalars(
            select(Session)
            .join(Module, Module.id == Session.module_id)
            .where(Module.series_id == series_id)
            .order_by(Session.date, Session.start_time, Session.id)
        )
    )
    per_session = _session_counts(series_id, sessions, all_rows)

    active = [row for row in all_rows if row.status != STATUS_WITHDRAWN]
    by_status = Counter(row.status for row in all_rows)
    covered = {row.progress.region_id for row in all_rows if row.progress.region_id is not None}
    counts = Counts(
        regions_covered=len(covered),
        regions_total=len(regions),
        enrolled=len(all_rows),
        withdrawn=by_status[STATUS_WITHDRAWN],
        eligible=sum(1 for row in all_rows if row.progress.eligible),
        certified=sum(1 for row in all_rows if row.certificate.status == CERT_ISSUED),
        open=by_status[STATUS_OPEN],
        unreachable=by_status[STATUS_UNREACHABLE],
    )
    # Results per module: participants share a few patterns of results, so each distinct
    # pattern is read once (a page of 50 rows builds its module lists, not all 10,000).
    patterns = Counter(kept.module_results(row.progress) for row in active)
    results_by_module: dict[int, Counter] = defaultdict(Counter)
    for pattern, count in patterns.items():
        for module_id, assessment in json.loads(pattern).items():
            results_by_module[int(module_id)][assessment] += count
    module_summaries = []
    for module in modules:
        results = results_by_module[module.id]
        module_sessions = [session for session in sessions if session.module_id == module.id]
        module_summaries.append(
            ModuleSummary(
                module_id=module.id,
                number=numbers[module.id],
                title=module.title,
                required=module.required,
                teaching_units=module.teaching_units,
                participants=len(active),
                passed=results["passed"],
                failed=results["failed"],
                pending=results["pending"],
                sessions_total=len(module_sessions),
                sessions_held=sum(1 for session in module_sessions if session.ends_at <= now),
                assessment_kind=module.assessment_kind,
            )
        )
    module_titles = {module.id: module.title for module in modules}
    session_summaries = [
        SessionSummary(
            session_id=session.id,
            module_number=numbers[session.module_id],
            module_title=module_titles[session.module_id],
            date=session.date,
            start_time=session.start_time,
            end_time=session.end_time,
            place=session.place,
            held=session.ends_at <= now,
            attended=sum(count for status, count in per_session[session.id].items() if rules.counts_as_attended(status)),
            expected=len(active),
        )
        for session in sessions
    ]
    upcoming_ends = [session.ends_at for session in sessions if session.ends_at > now]
    expiries = [
        certificate.valid_until
        for certificate in certificates.values()
        if certificate.status == "valid" and certificate.valid_until is not None and certificate.valid_until >= now_utc
    ]
    figures = SeriesFigures(
        rows=tuple(all_rows),
        counts=counts,
        modules=module_summaries,
        sessions=session_summaries,
        uncovered_regions=[name for region_id, name, _bezirk in regions if region_id not in covered],
        regions=[(region_id, name) for region_id, name, _bezirk in regions],
        bezirke=sorted({bezirk for _id, _name, bezirk in regions if bezirk}, key=sort_key),
        next_session_end=min(upcoming_ends, default=None),
        next_expiry=min(expiries, default=None),
    )
    return figures, memo


def series_overview(series_id: int, filters: Filters | None = None, today: date | datetime | None = None) -> Overview | None:
    """The overview of one series, or ``None`` if it does not exist. Counts and figures cover the
    whole series; ``rows`` are the participants the filters select, sorted as asked."""
    filters = filters or Filters()
    series = db.session.get(Series, series_id)
    if series is None:
        return None
    rules = Rules.of(series)
    figures = series_figures(series_id, rules, today)

    rows: list[Row] | tuple[Row, ...] = figures.rows  # sorted by name
    if filters.region_id:
        rows = [row for row in rows if row.progress.region_id == filters.region_id]
    if filters.bezirk:
        rows = [row for row in rows if row.progress.regierungsbezirk == filters.bezirk]
    if filters.status:
        rows = [row for row in rows if row.status == filters.status]
    sort = filters.sort if filters.sort in SORT_KEYS else "name"
    if sort != "name" or filters.descending:
        rows = sorted(rows, key=_sort_key(sort), reverse=filters.descending)
    rows = list(rows)
    # A page past the end (the list got shorter since the link was made) shows the last one.
    last = RowsPage(1, PER_PAGE, len(rows)).pages
    page = RowsPage(min(max(filters.page, 1), last), PER_PAGE, len(rows))

    return Overview(
        series=series,
        rules=rules,
        filters=filters,
        rows=rows,
        total=len(figures.rows),
        counts=figures.counts,
        modules=figures.modules,
        sessions=figures.sessions,
        uncovered_regions=figures.uncovered_regions,
        regions=figures.regions,
        bezirke=figures.bezirke,
        page=page,
    )


# -- one participant: dashboard and detail page ------------------------------------------------


@dataclass(frozen=True)
class AssessmentRecord:
    module_id: int
    attempt: int
    result: str
    points: object
    feedback: str
    assessed_on: date


@dataclass(frozen=True)
class ParticipantRecord:
    """Everything the dashboard and the detail page show about one enrollment."""

    progress: ParticipantProgress
    series: Series
    certificate: CertificateState
    notes: dict[int, str]  # session id → attendance note
    history: dict[int, list[AssessmentRecord]]  # module id → every attempt, newest first


def _records(progresses: list[ParticipantProgress]) -> list[ParticipantRecord]:
    if not progresses:
        return []
    ids = [item.enrollment_id for item in progresses]
    series = {
        item.id: item for item in db.session.scalars(select(Series).where(Series.id.in_({p.series_id for p in progresses})))
    }
    certificates = certificates_by_enrollment(ids)
    notes: dict[int, dict[int, str]] = defaultdict(dict)
    for enrollment_id, session_id, note in db.session.execute(
        select(Attendance.enrollment_id, Attendance.session_id, Attendance.note).where(
            Attendance.enrollment_id.in_(ids), Attendance.note != ""
        )
    ):
        notes[enrollment_id][session_id] = note
    history: dict[int, dict[int, list[AssessmentRecord]]] = defaultdict(lambda: defaultdict(list))
    for row in db.session.execute(
        select(
            Assessment.enrollment_id,
            Assessment.module_id,
            Assessment.attempt,
            Assessment.result,
            Assessment.points,
            Assessment.feedback,
            Assessment.assessed_on,
        )
        .where(Assessment.enrollment_id.in_(ids))
        .order_by(Assessment.attempt.desc())
    ):
        history[row[0]][row[1]].append(AssessmentRecord(*row[1:]))
    return [
        ParticipantRecord(
            progress=item,
            series=series[item.series_id],
            certificate=certificate_state(item, certificates.get(item.enrollment_id)),
            notes=notes.get(item.enrollment_id, {}),
            history=history.get(item.enrollment_id, {}),
        )
        for item in progresses
    ]


def participant_record(enrollment_id: int, today: date | datetime | None = None) -> ParticipantRecord | None:
    """One enrollment's record, or ``None`` if there is no such enrollment."""
    try:
        progress = progress_for_enrollment(enrollment_id, today=today)
    except LookupError:
        return None
    return _records([progress])[0]


def records_for_user(user_id: int, today: date | datetime | None = None) -> list[ParticipantRecord]:
    """Every enrollment of a user (the coordinator dashboard); fixed number of queries."""
    return _records(progress_for_user(user_id, today=today))
