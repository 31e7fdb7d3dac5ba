"""Issuing for a whole series: one transaction per group of ``GROUP`` certificates, committed
here, with a savepoint around each certificate.

Used by the streamed admin page, the CLI and the API. Eligibility comes from the progress
service in chunks of ``CHUNK`` participants (a fixed number of queries per chunk), so memory does
not grow with the series: the list of candidates holds ids and names only, and the progress a
certificate is issued from is loaded again for its chunk just before issuing (eligibility is
checked at issuing time). Each certificate is then issued by ``services.issue_certificate`` with
its audit event inside a savepoint: a failure in one rolls back that savepoint — nothing of it
is left — and the others of its group are committed together. One commit per group instead of
per certificate saves most of the commit cost (bench: issuing). Running it again issues only
what is still missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.certificates import keys
from wirlearn.certificates.models import Certificate
from wirlearn.certificates.services import CertificateError, issue_certificate
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment

log = logging.getLogger(__name__)


# Participants whose progress is in memory at once: enough that the queries per chunk do not
# matter, small enough that a batch of 10,000 needs no more memory than one of 200.
CHUNK = 200
# Certificates per transaction: a crash loses at most this many (they are issued again by the
# next run), and a commit costs about as much as signing one.
GROUP = 25


@dataclass(frozen=True)
class Candidate:
    enrollment_id: int
    name: str
    progress: object | None = None  # never kept (memory): issue_all loads it per chunk when issuing


@dataclass(frozen=True)
class Step:
    number: int  # 1-based
    total: int
    name: str
    ok: bool
    code: str | None = None
    verify_url: str | None = None
    message: str | None = None


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def candidates(series_id: int) -> list[Candidate]:
    """Eligible participants of the series without a valid certificate, by name (ids and names
    only: the progress is computed chunk by chunk and not kept)."""
    from wirlearn.progress.services import progress_for_enrollments, series_enrollment_ids

    certified = set(
        db.session.scalars(
            select(Certificate.enrollment_id)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(Enrollment.series_id == series_id, Certificate.status == "valid")
        )
    )
    todo = [enrollment_id for enrollment_id in series_enrollment_ids(series_id) if enrollment_id not in certified]
    return [
        Candidate(progress.enrollment_id, progress.name)
        for chunk in _chunks(todo)
        for progress in progress_for_enrollments(chunk)
        if progress.eligible
    ]


def issue_all(
    series_id: int,
    *,
    issued_by_id: int | None,
    selected: list[Candidate] | None = None,
    time_budget: float | None = None,
) -> Iterator[Step]:
    """Issue one certificate after the other and yield a Step for each after its group's commit.

    With ``time_budget`` (seconds) no further certificate is started once it is used up, so a
    web request ends well before the server's worker timeout; running again continues."""
    from wirlearn.progress.services import progress_for_enrollments

    todo = candidates(series_id) if selected is None else selected
    total = len(todo)
    started = time.monotonic()
    number = 0
    out_of_time = False
    for chunk in _chunks(todo):
        # Progress for this chunk only, loaded now: what issuing decides on is current.
        loaded = {progress.enrollment_id: progress for progress in progress_for_enrollments(c.enrollment_id for c in chunk)}
        for group in _chunks(chunk, GROUP):
            _open_transaction()
            key = _group_key()
            steps = []
            for candidate in group:
                if time_budget is not None and number > 0 and time.monotonic() - started > time_budget:
                    out_of_time = True
                    break
                number += 1
                steps.append(_issue_one(candidate, loaded.pop(candidate.enrollment_id, None), number, total, issued_by_id, key))
            yield from _commit_group(steps)
            if out_of_time:
                return


def _open_transaction() -> None:
    """Begin the group's transaction before its first savepoint. SQLite's Python driver sends
    BEGIN only before a data change, so a SAVEPOINT would open a transaction of its own and its
    RELEASE would commit it: every certificate committed (and synced to disk) on its own."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _group_key() -> keys.LoadedKey | None:
    """The signing key, looked up (and registered) once per group in the group's transaction.
    ``None`` when that fails: then each certificate looks it up itself and reports why not."""
    try:
        return keys.signing_key()
    except (keys.SigningKeyError, OSError):  # a retired or unreadable key: each certificate says so
        return None


def _issue_one(
    candidate: Candidate, progress, number: int, total: int, issued_by_id: int | None, key: keys.LoadedKey | None = None
) -> Step:
    """Issue one certificate inside a savepoint, or roll everything of it back to the savepoint."""
    savepoint = db.session.begin_nested()
    try:
        issued = issue_certificate(candidate.enrollment_id, issued_by_id=issued_by_id, progress=progress, key=key)
        savepoint.commit()
    except (CertificateError, keys.SigningKeyError) as error:  # both say what to do, in German
        savepoint.rollback()
        return Step(number, total, candidate.name, False, message=str(error))
    except Exception:  # one broken certificate must not stop the batch; logged with traceback
        savepoint.rollback()
        log.exception("issuing for enrollment %s failed", candidate.enrollment_id)
        return Step(number, total, candidate.name, False, message=_("Unerwarteter Fehler: nichts ausgestellt."))
    return Step(number, total, candidate.name, True, code=issued.code, verify_url=issued.verify_url)


def _commit_group(steps: list[Step]) -> list[Step]:
    """Commit a group's certificates; should the commit itself fail, none of them is issued."""
    try:
        db.session.commit()
    except Exception:  # the database refused the commit: the whole group is rolled back
        db.session.rollback()
        log.exception("committing a group of %d certificates failed", len(steps))
        message = _("Unerwarteter Fehler: nichts ausgestellt.")
        return [Step(step.number, step.total, step.name, False, message=message) if step.ok else step for step in steps]
    return steps
