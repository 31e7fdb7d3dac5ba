"""Issuing for a whole series: one transaction per certificate, committed here one by one.

Used by the streamed admin page, the CLI and the API. Eligibility comes from the progress
service in chunks of ``CHUNK`` participants (a fixed number of queries per chunk), so memory does
not grow with the series: the list of candidates holds ids and names only, and the progress a
certificate is issued from is loaded again for its chunk just before issuing (eligibility is
checked at issuing time). Each certificate is then issued by ``services.issue_certificate`` and
committed with its audit event, so a failure in one leaves nothing of it behind and does not undo
the ones before. Running it again issues only what is still missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.certificates.models import Certificate
from wirlearn.certificates.services import CertificateError, issue_certificate
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment

log = logging.getLogger(__name__)


# Participants whose progress is in memory at once: enough that the queries per chunk do not
# matter, small enough that a batch of 10,000 needs no more memory than one of 200.
CHUNK = 200


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
    """Issue one certificate after the other and yield a Step after each commit or rollback.

    With ``time_budget`` (seconds) no further certificate is started once it is used up, so a
    web request ends well before the server's worker timeout; running again continues."""
    from wirlearn.progress.services import progress_for_enrollments

    todo = candidates(series_id) if selected is None else selected
    total = len(todo)
    started = time.monotonic()
    number = 0
    for chunk in _chunks(todo):
        # Progress for this chunk only, loaded now: what issuing decides on is current.
        loaded = {progress.enrollment_id: progress for progress in progress_for_enrollments(c.enrollment_id for c in chunk)}
        for candidate in chunk:
            number += 1
            if time_budget is not None and number > 1 and time.monotonic() - started > time_budget:
                return
            yield _issue_one(candidate, loaded.pop(candidate.enrollment_id, None), number, total, issued_by_id)


def _issue_one(candidate: Candidate, progress, number: int, total: int, issued_by_id: int | None) -> Step:
    """Issue one certificate and commit it, or roll everything of it back."""
    try:
        issued = issue_certificate(candidate.enrollment_id, issued_by_id=issued_by_id, progress=progress)
        db.session.commit()
    except CertificateError as error:
        db.session.rollback()
        return Step(number, total, candidate.name, False, message=str(error))
    except Exception:  # one broken certificate must not stop the batch; logged with traceback
        db.session.rollback()
        log.exception("issuing for enrollment %s failed", candidate.enrollment_id)
        return Step(number, total, candidate.name, False, message=_("Unerwarteter Fehler: nichts ausgestellt."))
    return Step(number, total, candidate.name, True, code=issued.code, verify_url=issued.verify_url)
