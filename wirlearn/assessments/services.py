"""Assessments per module: record results, keep every earlier result as history.

Rows are append-only: a re-assessment adds attempt n+1, the highest attempt is the current
result. Saving bumps ``Module.assessment_version`` with one conditional UPDATE, like a roster,
so a list saved from a stale page is refused (``AssessmentConflict``) instead of overwriting.

Plain functions: they flush, never commit. Problems the user can fix raise ``AssessmentError``
with a German message and field messages keyed by user id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from wirlearn import signals
from wirlearn.assessments.models import ASSESSMENT_RESULTS, Assessment
from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import local_today, utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series

RESULT_LABELS = {"passed": _l("bestanden"), "failed": _l("nicht bestanden")}
FEEDBACK_MAX_LENGTH = 5000


def result_label(result: str | None) -> str:
    return str(RESULT_LABELS[result]) if result in RESULT_LABELS else ""


class AssessmentError(Exception):
    """Assessments that cannot be saved as sent; nothing was written."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    result: str
    points: Decimal | None
    feedback: str
    assessed_on: date
    recorded_at: datetime
    recorded_by: str | None


@dataclass(frozen=True)
class SheetRow:
    enrollment_id: int
    user_id: int
    name: str
    region: str | None
    # Newest first; the first one is the current result.
    attempts: list[AttemptView]

    @property
    def current(self) -> AttemptView | None:
        return self.attempts[0] if self.attempts else None

    @property
    def history(self) -> list[AttemptView]:
        return self.attempts[1:]


@dataclass(frozen=True)
class Sheet:
    module_id: int
    module_title: str
    series_id: int
    series_title: str
    assessment_kind: str
    max_points: int | None
    pass_mark: int | None
    version: int
    rows: list[SheetRow]

    @property
    def assessed(self) -> int:
        return sum(1 for row in self.rows if row.attempts)


class AssessmentConflict(AssessmentError):
    """Someone saved assessments of this module after the page was loaded; nothing was written."""

    def __init__(self, current_version: int, changed: list[SheetRow]):
        super().__init__(
            _("Die Bewertungen wurden inzwischen von jemand anderem geändert. Ihre Eingaben wurden noch nicht gespeichert.")
        )
        self.current_version = current_version
        self.changed = changed


@dataclass(frozen=True)
class AssessmentEntry:
    """What a trainer records for one participant: a result (pass/fail modules) or points."""

    result: str | None = None
    points: Decimal | int | float | str | None = None
    feedback: str = ""
    assessed_on: date | None = None


@dataclass(frozen=True)
class SaveResult:
    version: int
    recorded: list[Assessment] = field(default_factory=list)


def _attempt_view(assessment: Assessment, recorded_by: str | None) -> AttemptView:
    return AttemptView(
        assessment.attempt,
        assessment.result,
        assessment.points,
        assessment.feedback,
        assessment.assessed_on,
        assessment.recorded_at,
        recorded_by,
    )


def _rows(module_id: int, series_id: int, user_ids: set[int] | None = None) -> list[SheetRow]:
    participant = aliased(User)
    query = (
        select(Enrollment.id, participant.id, participant.display_name, Region.name)
        .join(participant, Enrollment.user_id == participant.id)
        .outerjoin(Region, participant.region_id == Region.id)
        .where(Enrollment.series_id == series_id, Enrollment.status != "withdrawn")
        .order_by(participant.display_name, participant.id)
    )
    if user_ids is not None:
        query = query.where(participant.id.in_(user_ids))
    people = db.session.execute(query).all()
    editor = aliased(User)
    attempts: dict[int, list[AttemptView]] = {}
    for assessment, editor_name in db.session.execute(
        select(Assessment, editor.display_name)
        .outerjoin(editor, Assessment.recorded_by_id == editor.id)
        .where(Assessment.module_id == module_id, Assessment.enrollment_id.in_([row[0] for row in people]))
        .order_by(Assessment.enrollment_id, Assessment.attempt.desc())
    ):
        attempts.setdefault(assessment.enrollment_id, []).append(_attempt_view(assessment, editor_name))
    rows = [
        SheetRow(enrollment_id, user_id, name, region, attempts.get(enrollment_id, []))
        for enrollment_id, user_id, name, region in people
    ]
    return sorted(rows, key=lambda row: sort_key(row.name))


def load_sheet(module_id: int) -> Sheet | None:
    """Every active participant of the module's series with current result and history.
    Three queries, however many participants."""
    head = db.session.execute(
        select(Module, Series).join(Series, Module.series_id == Series.id).where(Module.id == module_id)
    ).first()
    if head is None:
        return None
    module, series = head
    return Sheet(
        module_id=module.id,
        module_title=module.title,
        series_id=series.id,
        series_title=series.title,
        assessment_kind=module.assessment_kind,
        max_points=module.max_points,
        pass_mark=module.pass_mark,
        version=module.assessment_version,
        rows=_rows(module.id, series.id),
    )


def parse_points(value) -> Decimal | None:
    """Points as typed by a person ("72,5") or sent by a program (72.5); None when empty.
    Raises ValueError for anything that is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if not number.is_finite():
        raise ValueError("not a number")
    return number


def _validate(module: Module, entry: AssessmentEntry, today: date) -> tuple[list[str], str | None, Decimal | None]:
    messages: list[str] = []
    result, points = entry.result, None
    if module.assessment_kind == "points":
        if entry.result is not None:
            messages.append(_("Dieses Modul wird mit Punkten bewertet; das Ergebnis folgt aus der Bestehensgrenze."))
        try:
            points = parse_points(entry.points)
        except ValueError:
            messages.append(_("Bitte geben Sie die Punkte als Zahl an, z. B. 72 oder 72,5."))
        else:
            if points is None:
                messages.append(_("Bitte geben Sie die Punkte an."))
            elif not (0 <= points <= module.max_points):
                messages.append(_("Die Punkte müssen zwischen 0 und %(max)d liegen.", max=module.max_points))
            elif points != points.quantize(Decimal("0.01")):
                messages.append(_("Bitte höchstens zwei Nachkommastellen angeben."))
            else:
                points = points.quantize(Decimal("0.01"))
                result = "passed" if points >= module.pass_mark else "failed"
    else:
        if entry.points not in (None, ""):
            messages.append(_("Dieses Modul wird mit „bestanden“ oder „nicht bestanden“ bewertet, nicht mit Punkten."))
        if entry.result not in ASSESSMENT_RESULTS:
            messages.append(_("Bitte wählen Sie „bestanden“ oder „nicht bestanden“."))
    if len(entry.feedback or "") > FEEDBACK_MAX_LENGTH:
        messages.append(_("Die Rückmeldung ist zu lang (höchstens %(n)d Zeichen).", n=FEEDBACK_MAX_LENGTH))
    if entry.assessed_on is not None and entry.assessed_on > today:
        messages.append(_("Das Datum der Bewertung darf nicht in der Zukunft liegen."))
    return messages, result, points


def _snapshot(view: AttemptView | Assessment) -> dict:
    return {
        "attempt": view.attempt,
        "result": view.result,
        "points": None if view.points is None else str(view.points),
        "feedback": view.feedback,
        "assessed_on": view.assessed_on.isoformat(),
    }


def save_assessments(
    module_id: int,
    entries: Mapping[int, AssessmentEntry],
    *,
    actor_id: int | None,
    version: int | None = None,
    seen_attempts: Mapping[int, int] | None = None,
) -> SaveResult:
    """Record the assessments in ``entries`` (user id → entry) for one module.

    An entry equal to the current result (same result, points and feedback) records nothing;
    any other adds a new attempt and keeps the earlier one as history. Refuses
    (``AssessmentError``) a person who is not an active participant, a result that does not fit
    the module's kind, points out of range and dates in the future — nothing is written then.
    With ``version``, refuses (``AssessmentConflict``) when the module's list moved on since;
    ``seen_attempts`` (user id → attempt shown on the page) tells which rows the other person
    changed. Each new row gets an audit event and ``assessment_recorded``.
    """
    module = db.session.get(Module, module_id)
    if module is None:
        raise AssessmentError(_("Dieses Modul gibt es nicht."))
    today = local_today()
    enrollment_by_user = dict(
        db.session.execute(
            select(Enrollment.user_id, Enrollment.id).where(
                Enrollment.series_id == module.series_id, Enrollment.status != "withdrawn"
            )
        ).all()
    )
    errors: dict[str, list[str]] = {}
    clean: dict[int, tuple[str, Decimal | None, str, date]] = {}
    for user_id, entry in entries.items():
        messages, result, points = _validate(module, entry, today)
        if user_id not in enrollment_by_user:
            messages.insert(0, _("Diese Person ist in dieser Reihe nicht (mehr) eingeschrieben."))
        if messages:
            errors[str(user_id)] = messages
        else:
            clean[user_id] = (result, points, (entry.feedback or "").strip(), entry.assessed_on or today)
    if errors:
        raise AssessmentError(_("Die Bewertungen enthalten ungültige Angaben. Es wurde nichts gespeichert."), errors)

    # Lock the module row (PostgreSQL) and bump its version; conditional when the caller says
    # which version it saw.
    statement = update(Module).where(Module.id == module_id)
    if version is not None:
        statement = statement.where(Module.assessment_version == version)
    won = db.session.execute(
        statement.values(assessment_version=Module.assessment_version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.expire(module)
        seen = dict(seen_attempts or {})
        rows = _rows(module_id, module.series_id)
        changed = [row for row in rows if row.current and row.current.attempt > seen.get(row.user_id, 0)]
        raise AssessmentConflict(db.session.get(Module, module_id).assessment_version, changed)
    db.session.expire(module, ["assessment_version"])

    current: dict[int, Assessment] = {}
    for assessment in db.session.scalars(
        select(Assessment).where(
            Assessment.module_id == module_id, Assessment.enrollment_id.in_([enrollment_by_user[u] for u in clean])
        )
    ):
        if assessment.enrollment_id not in current or assessment.attempt > current[assessment.enrollment_id].attempt:
            current[assessment.enrollment_id] = assessment
    recorded: list[Assessment] = []
    audits: list[tuple[int, Assessment | None, Assessment]] = []
    now = utcnow()
    for user_id, (result, points, feedback, assessed_on) in clean.items():
        enrollment_id = enrollment_by_user[user_id]
        previous = current.get(enrollment_id)
        if previous is not None and (previous.result, previous.points, previous.feedback) == (result, points, feedback):
            continue
        assessment = Assessment(
            module_id=module_id,
            enrollment_id=enrollment_id,
            attempt=(previous.attempt + 1) if previous else 1,
            result=result,
            points=points,
            feedback=feedback,
            assessed_on=assessed_on,
            recorded_at=now,
            recorded_by_id=actor_id,
        )
        db.session.add(assessment)
        recorded.append(assessment)
        audits.append((user_id, previous, assessment))
    # One flush for all new attempts (a batched INSERT), then their audit events with the ids:
    # a fixed number of statements however many people a list changes.
    db.session.flush()
    for user_id, previous, assessment in audits:
        record(
            "assessment.recorded" if previous is None else "assessment.reassessed",
            "assessment",
            assessment.id,
            before=_snapshot(previous) if previous else None,
            after=_snapshot(assessment),
            actor_id=actor_id,
            subject_user_id=user_id,
            series_id=module.series_id,
            module_id=module_id,
        )
    if not recorded:
        # Nothing new: leave the version where it was so other open pages stay valid.
        db.session.execute(
            update(Module)
            .where(Module.id == module_id)
            .values(assessment_version=Module.assessment_version - 1)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    if recorded:
        from wirlearn.progress import kept

        kept.progress_changed(db.session, {assessment.enrollment_id for assessment in recorded})
    for assessment in recorded:
        signals.assessment_recorded.send(assessment)
    new_version = db.session.scalar(select(Module.assessment_version).where(Module.id == module_id))
    return SaveResult(version=new_version, recorded=recorded)
