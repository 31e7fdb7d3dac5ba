"""Issuing for a whole series: one transaction per certificate, committed here one by one.

Used by the streamed admin page, the CLI and the API. Eligibility for the whole series comes
from ``progress_for_series`` (a fixed number of queries); each certificate is then issued by
``services.issue_certificate`` and committed with its audit event, so a failure in one leaves
nothing of it behind and does not undo the ones before. Running it again issues only what is
still missing.
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


@dataclass(frozen=True)
class Candidate:
    enrollment_id: int
    name: str
    progress: object  # ParticipantProgress


@dataclass(frozen=True)
class Step:
    number: int  # 1-based
    total: int
    name: str
    ok: bool
    code: str | None = None
    verify_url: str | None = None
    message: str | None = None


def candidates(series_id: int) -> list[Candidate]:
    """Eligible participants of the series without a valid certificate, by name."""
    from wirlearn.progress.services import progress_for_series

    certified = set(
        db.session.scalars(
            select(Certificate.enrollment_id)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(Enrollment.series_id == series_id, Certificate.status == "valid")
        )
    )
    return [
        Candidate(progress.enrollment_id, progress.name, progress)
        for progress in progress_for_series(series_id)
        if progress.eligible and progress.enrollment_id not in certified
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
    todo = candidates(series_id) if selected is None else selected
    total = len(todo)
    started = time.monotonic()
    for number, candidate in enumerate(todo, start=1):
        if time_budget is not None and number > 1 and time.monotonic() - started > time_budget:
            return
        try:
            issued = issue_certificate(candidate.enrollment_id, issued_by_id=issued_by_id, progress=candidate.progress)
            db.session.commit()
        except CertificateError as error:
            db.session.rollback()
            yield Step(number, total, candidate.name, False, message=str(error))
        except Exception:  # one broken certificate must not stop the batch; logged with traceback
            db.session.rollback()
            log.exception("issuing for enrollment %s failed", candidate.enrollment_id)
            yield Step(number, total, candidate.name, False, message=_("Unerwarteter Fehler: nichts ausgestellt."))
        else:
            yield Step(number, total, candidate.name, True, code=issued.code, verify_url=issued.verify_url)
