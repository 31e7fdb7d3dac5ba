"""Issuing figures: a batch of certificates end to end through wirlearn's issuing service
(eligibility, snapshot, signature, QR, PDF, database, audit) against the floor made directly with
the same libraries (``bench.issuing_floor``) in the same run, per certificate.

Target (issue #7): per-certificate cost at most 1.5 × the floor's.
"""

from __future__ import annotations

import time

from bench import certs
from bench.apps import BASE_URL, FeatureMissing, in_process_app
from bench.context import Context
from bench.databases import LABELS, migrate
from bench.generator import generate_programme
from bench.issuing_floor import make_certificates, new_key
from bench.report import Row, ms, seconds

SECTION = "issuing"
TARGET = 1.5


def issue_batch(ctx: Context, url: str, count: int) -> tuple[float, int]:
    """Seconds to issue ``count`` certificates in a freshly generated, finished series (the data
    is written before the clock starts) and how many were issued."""
    from wirlearn.auth.passwords import hash_password
    from wirlearn.extensions import db

    issue = certs.issuing_service()
    app = in_process_app(ctx, url)
    with app.app_context():
        programme = generate_programme(count, password_hash=hash_password("bench-password"), finished=True, all_eligible=True)
        db.session.commit()
        admin_id, series_id = programme.admin_id, programme.series_id
        db.session.remove()
    with app.app_context():
        started = time.perf_counter()
        issued = certs.issue_all(issue, series_id, admin_id)
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return elapsed, issued


def run(ctx: Context) -> list[Row]:
    settings = ctx.settings
    rows: list[Row] = []
    key, kid = new_key()
    make_certificates(3, BASE_URL, key, kid)  # fonts registered, code paths warm
    for kind, count in [(kind, count) for kind in settings.kinds for count in settings.issue_sizes]:
        figure = f"issuing {count:,} certificates end to end, per certificate, {LABELS[kind]}"
        target = f"≤ {TARGET:.1f}×"
        try:
            certs.issuing_service()
        except FeatureMissing:
            floor = make_certificates(count, BASE_URL, key, kid)
            rows.append(
                Row(
                    SECTION,
                    figure,
                    certs.NOT_ON_MAIN,
                    f"{ms(floor / count * 1000)} (floor; {seconds(floor)} in all)",
                    target=target,
                    data={"floor_seconds": floor, "count": count, "skipped": "certificates service"},
                )
            )
            continue
        url = ctx.databases.new(kind, f"issue{count}")
        migrate(url)
        # A warm process for both: the first certificate loads the key, fonts and templates.
        warm_url = ctx.databases.new(kind, "issuewarm")
        migrate(warm_url)
        issue_batch(ctx, warm_url, 2)
        ctx.databases.drop(warm_url)
        ours, issued = issue_batch(ctx, url, count)
        floor = make_certificates(count, BASE_URL, key, kid)
        ctx.databases.drop(url)
        per_ours, per_floor = ours / max(issued, 1), floor / count
        ctx.log(f"issued {issued:,} in {ours:.2f} s ({per_ours * 1000:.1f} ms each); floor {per_floor * 1000:.1f} ms each")
        rows.append(
            Row(
                SECTION,
                figure,
                f"{ms(per_ours * 1000)} ({seconds(ours)} for {issued:,})",
                f"{ms(per_floor * 1000)} ({seconds(floor)})",
                per_ours / per_floor,
                target,
                issued == count and per_ours <= TARGET * per_floor,
                data={"seconds": ours, "issued": issued, "floor_seconds": floor, "count": count},
            )
        )
    return rows
