"""Automatic issuing (``Series.auto_issue``, off by default): as soon as a trainer's save makes
a participant eligible, the certificate is issued inside that same transaction.

Each certificate gets a savepoint of its own: when it cannot be issued (signing, PDF), only the
certificate is dropped and logged; the trainer's attendance or assessment is still saved. The
admin can issue it later by hand. Eligibility is the progress engine's, as everywhere.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from wirlearn.certificates.models import Certificate
from wirlearn.certificates.services import CertificateError, issue_certificate
from wirlearn.extensions import db
from wirlearn.programme.models import Module, Series

log = logging.getLogger(__name__)


def on_attendance_saved(session, changed_enrollment_ids=(), **_extra) -> None:
    series = db.session.scalar(select(Series).join(Module, Module.series_id == Series.id).where(Module.id == session.module_id))
    issue_if_eligible(series, set(changed_enrollment_ids or ()))


def on_assessment_recorded(assessment, **_extra) -> None:
    series = db.session.scalar(
        select(Series).join(Module, Module.series_id == Series.id).where(Module.id == assessment.module_id)
    )
    issue_if_eligible(series, {assessment.enrollment_id})


def issue_if_eligible(series: Series | None, enrollment_ids: set[int]) -> list[str]:
    """Issue for those of ``enrollment_ids`` who are eligible now and hold no valid certificate.
    Returns the codes issued. Runs in the caller's transaction; never commits."""
    if series is None or not series.auto_issue or not enrollment_ids:
        return []
    from wirlearn.progress.services import progress_for_series

    certified = set(
        db.session.scalars(
            select(Certificate.enrollment_id).where(Certificate.enrollment_id.in_(enrollment_ids), Certificate.status == "valid")
        )
    )
    waiting = enrollment_ids - certified
    if not waiting:
        return []
    # The whole series in a fixed number of queries, however many rows the trainer saved.
    ready = [progress for progress in progress_for_series(series.id) if progress.enrollment_id in waiting and progress.eligible]
    issued = []
    for progress in ready:
        enrollment_id = progress.enrollment_id
        savepoint = db.session.begin_nested()
        try:
            result = issue_certificate(enrollment_id, progress=progress, automatic=True)
        except CertificateError:
            savepoint.rollback()  # e.g. a valid certificate exists already
        except Exception:  # the trainer's save must not fail because of a certificate
            savepoint.rollback()
            log.exception("automatic issuing for enrollment %s failed", enrollment_id)
        else:
            savepoint.commit()
            issued.append(result.code)
    return issued
