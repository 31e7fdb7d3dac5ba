"""The certificate feature as the benchmarks use it: a database full of issued certificates, and
revoking one. Raises ``FeatureMissing`` while the feature is not on main."""

from __future__ import annotations

import time

from bench.apps import FeatureMissing, in_process_app, optional
from bench.context import Context
from bench.generator import generate_programme
from bench.report import NOT_ON_MAIN

SERVICES = "wirlearn.certificates.services"
BATCH = "wirlearn.certificates.batch"


def issuing_service():
    """The series batch: ``issue_all(series_id, issued_by_id=…)`` yielding one step per
    certificate, each committed on its own (what the admin page, CLI and API use)."""
    issue = optional(BATCH, "issue_all")
    if issue is None:
        raise FeatureMissing(f"{BATCH}.issue_all")
    return issue


def prepare(ctx: Context, url: str, count: int) -> list[str]:
    """Issue ``count`` certificates (a finished synthetic series) in the database at ``url``;
    return their public codes."""
    issue = issuing_service()
    from sqlalchemy import select

    from wirlearn.auth.passwords import hash_password
    from wirlearn.certificates.models import Certificate
    from wirlearn.extensions import db

    app = in_process_app(ctx, url)
    with app.app_context():
        programme = generate_programme(count, password_hash=hash_password("bench-password"), finished=True, all_eligible=True)
        db.session.commit()
        issue_all(issue, programme.series_id, programme.admin_id)
        db.session.commit()
        codes = list(db.session.scalars(select(Certificate.code).order_by(Certificate.id)))
        db.engine.dispose()
    return codes


def issue_all(issue, series_id: int, admin_id: int) -> int:
    """Issue every eligible participant's certificate in a series; how many were issued.
    Steps are counted, not kept: the batch streams."""
    issued = 0
    for step in issue(series_id, issued_by_id=admin_id):
        if not step.ok:
            raise RuntimeError(f"issuing failed for {step.name}: {step.message}")
        issued += 1
    return issued


def revoke(app, code: str) -> float:
    """Revoke the certificate ``code``; return ``time.monotonic()`` right after the commit."""
    revoke_certificate = optional(SERVICES, "revoke_certificate")
    if revoke_certificate is None:
        raise FeatureMissing(f"{SERVICES}.revoke_certificate")
    from wirlearn.extensions import db

    with app.app_context():
        revoke_certificate(code, "Benchmark: Widerruf", revoked_by_id=None)
        db.session.commit()
        committed = time.monotonic()
        db.engine.dispose()
    return committed


__all__ = ["NOT_ON_MAIN", "issue_all", "issuing_service", "prepare", "revoke"]
