"""Progress and eligibility: one pure computation over loaded data, and loaders that fetch that
data in a fixed number of queries, however many participants a series has.

The rules (DESIGN.md, the series' completion rules), decided once here:

* **Held session**: a session counts as held once its end (local wall-clock time in Hessen) is
  past and its attendance has been recorded (the roster was saved, or this participant has a
  row). A held session without an attendance row for the participant counts as not attended.
* **Ended, attendance not recorded yet** (no roster saved for it): the session counts neither
  for nor against the rate yet — a coordinator is not told "nicht mehr erreichbar" the evening
  before the trainer enters the list — but, like a session still to come, a required module
  with such a session is not finished, so nobody becomes eligible on missing data.
* **Which sessions count for attendance**: all sessions of the series, those of optional modules
  included (DESIGN.md: "over all sessions"; the module form tells admins "Wahlmodule zählen für
  die Anwesenheit"). An optional module never blocks otherwise: its assessment does not matter,
  sessions of it still to come do not hold a certificate back, and the per-module minimum
  applies to required modules only.
* **Attended** means ``present``, plus ``late`` when the series lets late count, plus
  ``excused`` when the series lets excused count. The rules are read when computing, so a rule
  changed after sessions were recorded applies to everything at once.
* **Minimum attendance** is met when ``attended / held >= minimum`` (exactly at the threshold
  is enough; compared in whole numbers, no rounding). Shown percentages are rounded *down*, so
  a shown value never seems to meet a minimum it misses (79.9 % shows as 79 %).
* **No session held yet**: the rate is unknown (``None``) and no attendance item is missing yet;
  the participant is not eligible while counted sessions are still to come.
* **Sessions still to come in a required module**: the module is not finished, so the
  participant is not eligible yet, even if an assessment is already recorded ("Modul 2: noch
  1 Termin ausstehend"); without an assessment the module's assessment is ``pending``.
* **Assessment**: the current result is the highest attempt; ``Assessment.result`` already
  holds the pass/fail decided by the pass mark. Every required module must be passed; an
  optional module never blocks, whatever its result.
* **Withdrawn** participants are never eligible and nothing can be reached any more; their
  only missing item says so.
* **Reachable**: whether the minimum attendance (overall and per required module, when the
  series sets one) can still be met if every session still to come (or not recorded yet) is
  attended.
* **Late enrolment**: sessions held before the enrolment date count neither for nor against a
  participant (as in Moodle) unless the series says they count
  (``Series.sessions_before_enrollment_count``); a session before the enrolment for which the
  participant does have a status (recorded as a guest, say) counts as usual.
* **A series without modules** (still being set up) makes nobody eligible: "Die Reihe hat noch
  keine Module."
* ``eligible`` is exactly ``not missing``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any

import flask_babel
from sqlalchemy import Select, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import local_now, to_local
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session

PASSED, FAILED, PENDING = "passed", "failed", "pending"

# Module states for the matrix and the cards (assessment plus whether sessions are still to come).
STATE_PASSED = "passed"
STATE_FAILED = "failed"
STATE_AWAITING = "awaiting_assessment"  # every session held, no result yet
STATE_RUNNING = "running"  # sessions still to come, no result yet
MODULE_STATES = (STATE_PASSED, STATE_FAILED, STATE_AWAITING, STATE_RUNNING)


# -- percentages: the one place ----------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction 0..1, or ``None`` when nothing is there to count."""
    if whole <= 0:
        return None
    return part / whole


def percent(part: int, whole: int) -> int | None:
    """Whole percent, rounded down, or ``None`` when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (part * 100) // whole


def meets(part: int, whole: int, minimum_percent: int) -> bool:
    """``part / whole >= minimum_percent / 100`` in exact integer arithmetic (nothing to count: met)."""
    return whole <= 0 or part * 100 >= minimum_percent * whole


def sessions_needed(attended: int, held: int, still_open: int, minimum_percent: int) -> int | None:
    """How many of the ``still_open`` sessions must still be attended for the minimum over all
    ``held + still_open`` sessions: 0 when it is met whatever happens, ``None`` when even all of
    them would not be enough."""
    total = held + still_open
    needed = max(0, -(-(minimum_percent * total) // 100) - attended)
    return needed if needed <= still_open else None


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    min_attendance_percent: int = 80
    min_module_attendance_percent: int | None = None
    excused_counts: bool = False
    late_counts: bool = True
    before_enrollment_counts: bool = False

    @classmethod
    def of(cls, series) -> Rules:
        return cls(
            min_attendance_percent=series.min_attendance_percent,
            min_module_attendance_percent=series.min_module_attendance_percent,
            excused_counts=series.excused_counts,
            late_counts=series.late_counts,
            before_enrollment_counts=series.sessions_before_enrollment_count,
        )

    def counts_for(self, session: SessionInput, enrolled_on: date | None, attendance: Mapping[int, str]) -> bool:
        """Whether ``session`` counts at all for a participant enrolled on ``enrolled_on``."""
        if enrolled_on is None or self.before_enrollment_counts or session.date >= enrolled_on:
            return True
        return session.id in attendance

    def counts_as_attended(self, status: str | None) -> bool:
        if status == "present":
            return True
        if status == "late":
            return self.late_counts
        if status == "excused":
            return self.excused_counts
        return False


@dataclass(frozen=True)
class ModuleInput:
    id: int
    title: str
    position: int = 0
    required: bool = True
    teaching_units: int = 0
    assessment_kind: str = "pass_fail"
    max_points: int | None = None
    pass_mark: int | None = None


@dataclass(frozen=True)
class SessionInput:
    id: int
    module_id: int
    date: date
    start_time: time
    end_time: time
    place: str = ""
    recorded: bool = False  # a roster has been saved for this session (attendance_version > 0)

    @cached_property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time)


@dataclass(frozen=True)
class AssessmentInput:
    module_id: int
    attempt: int
    result: str  # "passed" | "failed"
    points: Decimal | None = None
    feedback: str = ""
    assessed_on: date | None = None


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAttendance:
    """One session as this participant sees it."""

    session: SessionInput
    ended: bool
    held: bool  # ended and attendance recorded
    status: str | None  # "present" | "late" | "excused" | "absent" | None (no row for this participant)
    counts: bool  # counts as attended under the series' rules


@dataclass(frozen=True)
class ModuleProgress:
    module_id: int
    title: str
    position: int
    required: bool
    teaching_units: int
    sessions_total: int
    sessions_held: int
    sessions_attended: int
    attendance_rate: float | None
    assessment: str  # "passed" | "failed" | "pending"
    points: Decimal | None
    number: int = 0  # 1-based place in the series' module order, as the pages show it
    sessions_upcoming: int = 0
    sessions_unrecorded: int = 0  # ended, attendance not recorded yet
    attendance_percent: int | None = None
    state: str = STATE_RUNNING  # one of MODULE_STATES
    assessment_kind: str = "pass_fail"
    max_points: int | None = None
    pass_mark: int | None = None
    attempts: int = 0
    assessed_on: date | None = None
    feedback: str = ""
    sessions: list[SessionAttendance] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Every session held and recorded (a module without sessions is finished)."""
        return self.sessions_upcoming == 0 and self.sessions_unrecorded == 0


@dataclass(frozen=True)
class ParticipantProgress:
    user_id: int
    enrollment_id: int
    series_id: int
    name: str
    region: str | None
    enrollment_status: str
    attendance_rate: float | None
    modules: list[ModuleProgress]
    eligible: bool
    reachable: bool
    missing: list[str]
    region_id: int | None = None
    regierungsbezirk: str | None = None
    # Sessions that count for the minimum attendance (all sessions of the series).
    sessions_held: int = 0
    sessions_attended: int = 0
    sessions_upcoming: int = 0
    sessions_unrecorded: int = 0
    attendance_percent: int | None = None
    min_attendance_percent: int = 80
    attendance_met: bool = True  # the minimum over sessions held so far
    modules_passed: int = 0
    required_modules: int = 0
    required_passed: int = 0
    next_sessions: list[SessionInput] = field(default_factory=list)
    # Of the sessions still to come (or not recorded yet), how many must be attended for the
    # overall minimum: None when it cannot be reached any more (see ``sessions_needed``).
    sessions_needed: int | None = 0

    @property
    def withdrawn(self) -> bool:
        return self.enrollment_status == "withdrawn"


# -- the computation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Messages:
    """The missing items' translations, looked up once: flask_babel's ``gettext`` finds the
    request's catalog again on every call, which dominated a 300-participant overview."""

    translations: Any  # babel.support.Translations or NullTranslations

    def gettext(self, text: str, **variables) -> str:
        result = self.translations.ugettext(text)
        return result % variables if variables else result

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return self.translations.ungettext(singular, plural, num) % variables


def current_messages() -> Messages:
    """The messages in the current request's language (German msgids outside a request)."""
    return Messages(flask_babel.get_translations())


def moment(today: date | datetime | None) -> datetime:
    """The point in (local, naive) time progress is computed at.

    ``None``: now. A ``datetime``: that moment. A ``date``: the start of that day, so sessions
    of earlier days are held and none of that day yet (how tests and the demo seed count)."""
    if today is None:
        return local_now()
    if isinstance(today, datetime):
        return today
    return datetime.combine(today, time.min)


def _current_assessments(assessments: Iterable[AssessmentInput]) -> dict[int, tuple[AssessmentInput, int]]:
    """Per module: the highest attempt and the number of attempts."""
    current: dict[int, tuple[AssessmentInput, int]] = {}
    for item in assessments:
        best, count = current.get(item.module_id, (None, 0))
        if best is None or item.attempt > best.attempt:
            best = item
        current[item.module_id] = (best, count + 1)
    return current


def compute_progress(
    *,
    user_id: int,
    enrollment_id: int,
    series_id: int,
    name: str,
    region: str | None,
    enrollment_status: str,
    rules: Rules,
    modules: Iterable[ModuleInput],
    sessions: Iterable[SessionInput],
    attendance: Mapping[int, str],
    assessments: Iterable[AssessmentInput],
    now: datetime,
    region_id: int | None = None,
    regierungsbezirk: str | None = None,
    messages: Messages | None = None,
    enrolled_on: date | None = None,
) -> ParticipantProgress:
    """A participant's progress and eligibility, from loaded data only (no database access).

    ``attendance`` maps session id → status for this enrollment; ``assessments`` are this
    enrollment's assessment rows (every attempt); ``now`` is naive local time. The rules are
    those in this module's docstring; every unmet rule yields one German sentence in
    ``missing`` (in the request's language when there is one), and ``eligible`` is true exactly
    when nothing is missing. ``enrolled_on`` (local date): sessions before it count only as
    ``Rules.counts_for`` says (``None``: every session counts)."""
    messages = messages or current_messages()
    _ = messages.gettext
    ngettext = messages.ngettext
    ordered_modules = sorted(modules, key=lambda module: (module.position, module.id))
    sessions_by_module: dict[int, list[SessionInput]] = defaultdict(list)
    for session in sessions:
        if rules.counts_for(session, enrolled_on, attendance):
            sessions_by_module[session.module_id].append(session)
    current = _current_assessments(assessments)
    withdrawn = enrollment_status == "withdrawn"

    module_results: list[ModuleProgress] = []
    missing: list[str] = []
    reachable = not withdrawn
    held_total = attended_total = upcoming_total = unrecorded_total = 0
    upcoming_sessions: list[SessionInput] = []
    for number, module in enumerate(ordered_modules, start=1):
        module_sessions = sorted(sessions_by_module.get(module.id, []), key=lambda item: (item.date, item.start_time, item.id))
        ended = [session for session in module_sessions if session.ends_at <= now]
        held = [session for session in ended if session.recorded or session.id in attendance]
        unrecorded = [session for session in ended if not (session.recorded or session.id in attendance)]
        upcoming = [session for session in module_sessions if session.ends_at > now]
        upcoming_sessions.extend(upcoming)
        still_open = len(upcoming) + len(unrecorded)  # may yet be attended
        held_ids = {session.id for session in held}
        attended = sum(1 for session in held if rules.counts_as_attended(attendance.get(session.id)))
        best, attempts = current.get(module.id, (None, 0))
        assessment = best.result if best is not None else PENDING
        if assessment == PASSED:
            state = STATE_PASSED
        elif assessment == FAILED:
            state = STATE_FAILED
        else:
            state = STATE_RUNNING if still_open else STATE_AWAITING
        module_results.append(
            ModuleProgress(
                module_id=module.id,
                title=module.title,
                position=module.position,
                required=module.required,
                teaching_units=module.teaching_units,
                sessions_total=len(module_sessions),
                sessions_held=len(held),
                sessions_attended=attended,
                attendance_rate=rate(attended, len(held)),
                assessment=assessment,
                points=best.points if best is not None else None,
                number=number,
                sessions_upcoming=len(upcoming),
                sessions_unrecorded=len(unrecorded),
                attendance_percent=percent(attended, len(held)),
                state=state,
                assessment_kind=module.assessment_kind,
                max_points=module.max_points,
                pass_mark=module.pass_mark,
                attempts=attempts,
                assessed_on=best.assessed_on if best is not None else None,
                feedback=best.feedback if best is not None else "",
                sessions=[
                    SessionAttendance(
                        session=session,
                        ended=session.ends_at <= now,
                        held=session.id in held_ids,
                        status=attendance.get(session.id),
                        counts=session.id in held_ids and rules.counts_as_attended(attendance.get(session.id)),
                    )
                    for session in module_sessions
                ],
            )
        )
        held_total += len(held)
        attended_total += attended
        upcoming_total += len(upcoming)
        unrecorded_total += len(unrecorded)
        if not module.required:
            continue
        if upcoming and assessment == PENDING:
            missing.append(
                ngettext(
                    "Modul %(number)s: %(num)d Termin und die Bewertung stehen noch aus",
                    "Modul %(number)s: %(num)d Termine und die Bewertung stehen noch aus",
                    len(upcoming),
                    number=number,
                )
            )
        elif upcoming:
            missing.append(
                ngettext(
                    "Modul %(number)s: noch %(num)d Termin ausstehend",
                    "Modul %(number)s: noch %(num)d Termine ausstehend",
                    len(upcoming),
                    number=number,
                )
            )
        if unrecorded:
            missing.append(
                ngettext(
                    "Modul %(number)s: Anwesenheit für %(num)d Termin noch nicht erfasst",
                    "Modul %(number)s: Anwesenheit für %(num)d Termine noch nicht erfasst",
                    len(unrecorded),
                    number=number,
                )
            )
        if not upcoming and assessment == PENDING:
            missing.append(_("Modul %(number)s: Bewertung steht noch aus", number=number))
        if assessment == FAILED:
            missing.append(_("Modul %(number)s: nicht bestanden", number=number))
        module_minimum = rules.min_module_attendance_percent
        if module_minimum is not None and module_sessions:
            module_reachable = meets(attended + still_open, len(held) + still_open, module_minimum)
            reachable = reachable and module_reachable
            if held and not meets(attended, len(held), module_minimum):
                text = _(
                    "Modul %(number)s: Anwesenheit %(rate)s %% – mindestens %(minimum)s %% nötig",
                    number=number,
                    rate=percent(attended, len(held)),
                    minimum=module_minimum,
                )
                if not module_reachable:
                    text += " – " + _("nicht mehr erreichbar")
                missing.append(text)

    overall_met = meets(attended_total, held_total, rules.min_attendance_percent)
    still_open_total = upcoming_total + unrecorded_total
    overall_reachable = meets(attended_total + still_open_total, held_total + still_open_total, rules.min_attendance_percent)
    reachable = reachable and overall_reachable
    if not overall_met:
        text = _(
            "Anwesenheit %(rate)s %% – mindestens %(minimum)s %% nötig",
            rate=percent(attended_total, held_total),
            minimum=rules.min_attendance_percent,
        )
        if not overall_reachable:
            text += ". " + _("Mindestanwesenheit nicht mehr erreichbar")
        # Attendance first: it is what a coordinator must learn early.
        missing.insert(0, text)
    if not ordered_modules:
        # A series still being set up certifies nothing: without modules nothing can be missing,
        # and "Alle Berechtigten ausstellen" would otherwise issue to every participant.
        missing.append(_("Die Reihe hat noch keine Module."))
    if withdrawn:
        missing = [_("Ausgeschieden: Die Teilnahme ist beendet, ein Zertifikat ist nicht möglich.")]

    upcoming_sessions.sort(key=lambda session: (session.date, session.start_time, session.id))
    return ParticipantProgress(
        user_id=user_id,
        enrollment_id=enrollment_id,
        series_id=series_id,
        name=name,
        region=region,
        enrollment_status=enrollment_status,
        attendance_rate=rate(attended_total, held_total),
        modules=module_results,
        eligible=not missing,
        reachable=reachable,
        missing=missing,
        region_id=region_id,
        regierungsbezirk=regierungsbezirk,
        sessions_held=held_total,
        sessions_attended=attended_total,
        sessions_upcoming=upcoming_total,
        sessions_unrecorded=unrecorded_total,
        attendance_percent=percent(attended_total, held_total),
        sessions_needed=sessions_needed(attended_total, held_total, still_open_total, rules.min_attendance_percent),
        min_attendance_percent=rules.min_attendance_percent,
        attendance_met=overall_met,
        modules_passed=sum(1 for item in module_results if item.assessment == PASSED),
        required_modules=sum(1 for item in module_results if item.required),
        required_passed=sum(1 for item in module_results if item.required and item.assessment == PASSED),
        next_sessions=upcoming_sessions,
    )


# -- loading: a fixed number of queries --------------------------------------------------------


def _load(enrollments_query: Select, now: datetime) -> list[ParticipantProgress]:
    """Progress for the enrollments ``enrollments_query`` selects (a select of Enrollment.id).

    Six queries, whatever the number of enrollments, series, modules or sessions."""
    people = db.session.execute(
        select(
            Enrollment.id,
            Enrollment.series_id,
            Enrollment.user_id,
            Enrollment.status,
            Enrollment.enrolled_at,
            User.display_name,
            Region.id,
            Region.name,
            Region.regierungsbezirk,
        )
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Region, Region.id == User.region_id)
        .where(Enrollment.id.in_(enrollments_query))
    ).all()
    people.sort(key=lambda row: (sort_key(row.display_name), row.id))  # German order, not the database's
    if not people:
        return []
    series_ids = {row[1] for row in people}
    rules = {series.id: Rules.of(series) for series in db.session.scalars(select(Series).where(Series.id.in_(series_ids)))}
    modules_by_series: dict[int, list[ModuleInput]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Module.series_id,
            Module.id,
            Module.title,
            Module.position,
            Module.required,
            Module.teaching_units,
            Module.assessment_kind,
            Module.max_points,
            Module.pass_mark,
        ).where(Module.series_id.in_(series_ids))
    ):
        modules_by_series[row[0]].append(ModuleInput(*row[1:]))
    sessions_by_series: dict[int, list[SessionInput]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Module.series_id,
            Session.id,
            Session.module_id,
            Session.date,
            Session.start_time,
            Session.end_time,
            Session.place,
            Session.attendance_version > 0,
        )
        .join(Module, Module.id == Session.module_id)
        .where(Module.series_id.in_(series_ids))
    ):
        sessions_by_series[row[0]].append(SessionInput(*row[1:]))
    attendance: dict[int, dict[int, str]] = defaultdict(dict)
    for enrollment_id, session_id, status in db.session.execute(
        select(Attendance.enrollment_id, Attendance.session_id, Attendance.status).where(
            Attendance.enrollment_id.in_(enrollments_query)
        )
    ):
        attendance[enrollment_id][session_id] = status
    assessments: dict[int, list[AssessmentInput]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Assessment.enrollment_id,
            Assessment.module_id,
            Assessment.attempt,
            Assessment.result,
            Assessment.points,
            Assessment.feedback,
            Assessment.assessed_on,
        ).where(Assessment.enrollment_id.in_(enrollments_query))
    ):
        assessments[row[0]].append(AssessmentInput(*row[1:]))

    messages = current_messages()
    return [
        compute_progress(
            user_id=user_id,
            enrollment_id=enrollment_id,
            series_id=series_id,
            name=name,
            region=region_name,
            enrollment_status=status,
            rules=rules[series_id],
            modules=modules_by_series.get(series_id, []),
            sessions=sessions_by_series.get(series_id, []),
            attendance=attendance.get(enrollment_id, {}),
            assessments=assessments.get(enrollment_id, []),
            now=now,
            region_id=region_id,
            regierungsbezirk=regierungsbezirk,
            messages=messages,
            enrolled_on=to_local(enrolled_at).date() if enrolled_at else None,
        )
        for enrollment_id, series_id, user_id, status, enrolled_at, name, region_id, region_name, regierungsbezirk in people
    ]


def progress_for_enrollment(enrollment_id: int, today: date | datetime | None = None) -> ParticipantProgress:
    """One enrollment's progress; raises ``LookupError`` for an unknown enrollment.

    ``today``: see ``moment`` (default: now)."""
    results = _load(select(Enrollment.id).where(Enrollment.id == enrollment_id), moment(today))
    if not results:
        raise LookupError(f"no enrollment {enrollment_id}")
    return results[0]


def progress_for_enrollments(enrollment_ids: Iterable[int], today: date | datetime | None = None) -> list[ParticipantProgress]:
    """The given enrollments, ordered by name; fixed number of queries (callers stream a long
    list in chunks of a few hundred)."""
    ids = list(enrollment_ids)
    if not ids:
        return []
    return _load(select(Enrollment.id).where(Enrollment.id.in_(ids)), moment(today))


def series_enrollment_ids(series_id: int) -> list[int]:
    """Every enrollment of a series, in the order ``progress_for_series`` returns them."""
    rows = db.session.execute(
        select(Enrollment.id, User.display_name)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.series_id == series_id)
    ).all()
    return [enrollment_id for enrollment_id, _name in sorted(rows, key=lambda row: (sort_key(row[1]), row[0]))]


def progress_for_series(series_id: int, today: date | datetime | None = None) -> list[ParticipantProgress]:
    """Every enrollment of a series (withdrawn ones included), ordered by name; fixed number of queries."""
    return _load(select(Enrollment.id).where(Enrollment.series_id == series_id), moment(today))


def progress_for_user(user_id: int, today: date | datetime | None = None) -> list[ParticipantProgress]:
    """Every enrollment of one user (usually one), newest series first; fixed number of queries."""
    results = _load(select(Enrollment.id).where(Enrollment.user_id == user_id), moment(today))
    return sorted(results, key=lambda item: item.series_id, reverse=True)


@dataclass(frozen=True)
class LateEnrollment:
    """What an enrolment after sessions were held means for the person."""

    name: str
    sessions_before: int  # sessions of the series that ended before the enrolment
    counted: bool  # the series counts them (as absences unless recorded)
    reachable: bool  # the minimum attendance can still be reached


def late_enrollments(enrollment_ids: Iterable[int], now: datetime | None = None) -> list[LateEnrollment]:
    """For the given enrolments: those made after sessions of their series had ended, with how
    many they missed and whether the minimum can still be reached. A fixed number of queries."""
    now = now or local_now()
    results = progress_for_enrollments(enrollment_ids, now)
    if not results:
        return []
    series_ids = {item.series_id for item in results}
    ended: dict[int, list[datetime]] = defaultdict(list)
    for series_id, day, end in db.session.execute(
        select(Module.series_id, Session.date, Session.end_time)
        .join(Module, Module.id == Session.module_id)
        .where(Module.series_id.in_(series_ids), Session.date <= now.date())
    ):
        if datetime.combine(day, end) <= now:
            ended[series_id].append(datetime.combine(day, end))
    enrolled = dict(
        db.session.execute(
            select(Enrollment.id, Enrollment.enrolled_at).where(Enrollment.id.in_([r.enrollment_id for r in results]))
        ).all()
    )
    counted = dict(
        db.session.execute(select(Series.id, Series.sessions_before_enrollment_count).where(Series.id.in_(series_ids))).all()
    )
    late = []
    for item in results:
        enrolled_on = to_local(enrolled[item.enrollment_id]).date()
        before = sum(1 for end in ended[item.series_id] if end.date() < enrolled_on)
        if before:
            late.append(LateEnrollment(item.name, before, bool(counted[item.series_id]), item.reachable))
    return late
