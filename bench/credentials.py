"""Credential figures (issue 12): the signed Bitstring Status List and what the status entry
costs when issuing.

* **status list build and sign**: one 131,072-entry list over a series with revoked
  certificates, built from the database, GZIP-ed and signed RS256 (the per-app cache cleared
  before each run; median). Target ≤ 50 ms.
* **status list endpoint vs JWKS**: ``GET /ob/status/{id}`` and ``GET /.well-known/jwks.json``
  under gunicorn (production configuration), wrk as in ``load``. Target ≥ 0.9 × JWKS.
* **revocation in the list after**: a certificate revoked and committed in another process; the
  time until ``/ob/status/{id}`` (served by the gunicorn workers, which had the list cached)
  shows its bit set. Target ≤ 1 s.
* **issuing with vs without a status entry**: the same batch issued twice in fresh series in one
  process, alternately, once with the random status-list entry and once with allocation stubbed
  out (what issuing cost before this change). Target ≤ 1.05 ×.
"""

from __future__ import annotations

import statistics
import time
from unittest import mock

from bench import certs
from bench.apps import in_process_app, server_env
from bench.context import Context
from bench.databases import LABELS, migrate
from bench.issuing import issue_batch
from bench.report import Row, ms, rps
from bench.servers import Server, configured_workers
from bench.wrk import median_result, run_wrk, warm_up

SECTION = "credentials"


def _build_times(ctx: Context, url: str, runs: int) -> tuple[float, int, int]:
    from sqlalchemy import select

    from wirlearn.certificates.models import Certificate
    from wirlearn.extensions import db
    from wirlearn.status import services

    app = in_process_app(ctx, url)
    with app.app_context():
        list_id = db.session.scalar(select(Certificate.status_list_id).where(Certificate.status_list_id.is_not(None)).limit(1))
        codes = list(db.session.scalars(select(Certificate.code).where(Certificate.status_list_id == list_id)))
        from wirlearn.certificates.services import revoke_certificate

        for code in codes[: max(1, len(codes) // 10)]:
            revoke_certificate(code, "Benchmark: Widerruf", revoked_by_id=None)
        db.session.commit()
        services.signed_list(list_id)  # the key loaded and the code path warm
        times = []
        for _run in range(runs):
            services.clear_cache()
            started = time.perf_counter()
            services.signed_list(list_id)
            times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
        db.engine.dispose()
    return statistics.median(times), list_id, max(1, len(codes) // 10)


def _bit_after_revocation(ctx: Context, url: str, server: Server, list_id: int, deadline: float = 5.0) -> float | None:
    """Seconds from the commit of a revocation until the served list shows the bit (None: not
    within ``deadline``). Several requests per poll, so every worker answers."""
    import base64
    import json
    import urllib.request

    from sqlalchemy import select

    from wirlearn.certificates.models import Certificate
    from wirlearn.extensions import db
    from wirlearn.status import bitstring

    app = in_process_app(ctx, url)
    with app.app_context():
        code, index = db.session.execute(
            select(Certificate.code, Certificate.status_index)
            .where(Certificate.status_list_id == list_id, Certificate.status == "valid")
            .limit(1)
        ).one()
        db.session.remove()
        db.engine.dispose()

    def bit() -> int:
        with urllib.request.urlopen(f"{server.base_url}/ob/status/{list_id}", timeout=5) as response:  # noqa: S310 - loopback
            payload = response.read().split(b".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        return bitstring.bit(bitstring.decode(claims["credentialSubject"]["encodedList"]), index)

    # Every worker serves (and caches) the list with the bit still 0 first.
    if any(bit() for _warm in range(4 * configured_workers())):
        raise RuntimeError("the certificate's bit was set before the revocation")
    committed = certs.revoke(app, code)
    while time.monotonic() - committed < deadline:
        if all(bit() == 1 for _request in range(2 * configured_workers())):
            return time.monotonic() - committed
    return None


def _issue_without_entry(ctx: Context, url: str, count: int) -> tuple[float, int]:
    from wirlearn.status.services import StatusEntry

    stub = mock.Mock()
    stub.allocate.return_value = StatusEntry(None, None, None)  # type: ignore[arg-type]
    with mock.patch("wirlearn.certificates.services.status_services", stub):
        return issue_batch(ctx, url, count)


def run(ctx: Context) -> list[Row]:
    settings = ctx.settings
    rows: list[Row] = []
    servers: list[Server] = []
    try:
        for kind in settings.kinds:
            url = ctx.databases.new(kind, "credentials")
            migrate(url)
            certs.prepare(ctx, url, min(settings.load_certificates, 200))
            build_ms, list_id, revoked = _build_times(ctx, url, 7 if settings.quick else 21)
            ctx.log(f"status list build and sign on {LABELS[kind]}: {build_ms:.1f} ms ({revoked} revoked)")
            rows.append(
                Row(
                    SECTION,
                    f"status list (131,072 entries, {revoked} revoked) built and signed, {LABELS[kind]}",
                    ms(build_ms),
                    "50 ms",
                    build_ms / 50,
                    "≤ 50 ms",
                    build_ms <= 50,
                    data={"median_ms": build_ms},
                )
            )

            server = Server(
                f"credentials-{kind}", "wirlearn:create_app()", server_env(ctx, url), ctx.work / "logs" / f"cred-{kind}.log"
            )
            servers.append(server.start("/healthz"))
            paths = {"status": [f"/ob/status/{list_id}"], "jwks": ["/.well-known/jwks.json"]}
            for target_paths in paths.values():
                warm_up(server.base_url, target_paths, settings.load, workers=configured_workers())
            results: dict[str, list] = {"status": [], "jwks": []}
            for _round in range(settings.load.repeat):
                for label, target_paths in paths.items():
                    results[label].append(run_wrk(server.base_url, target_paths, settings.load, settings.load.seconds))
            status, jwks = median_result(results["status"]), median_result(results["jwks"])
            ratio = status.rps / jwks.rps if jwks.rps else None
            ctx.log(f"status list {status.rps:,.0f} req/s vs JWKS {jwks.rps:,.0f} req/s")
            rows.append(
                Row(
                    SECTION,
                    f"status list endpoint vs JWKS, {LABELS[kind]}",
                    f"{rps(status.rps)} (p99 {status.p99_ms:.1f} ms, {status.errors} errors)",
                    f"{rps(jwks.rps)} (p99 {jwks.p99_ms:.1f} ms)",
                    ratio,
                    "≥ 0.9×",
                    ratio is not None and ratio >= 0.9 and status.errors == 0,
                    data={"status": status.as_dict(), "jwks": jwks.as_dict()},
                )
            )
            visible = _bit_after_revocation(ctx, url, server, list_id)
            ctx.log(f"revoked bit in the served list after {visible if visible is not None else 'more than 5'} s")
            rows.append(
                Row(
                    SECTION,
                    f"revocation in the served status list after, {LABELS[kind]}",
                    f"{visible:.3f} s" if visible is not None else "> 5 s",
                    "1 s",
                    visible if visible is not None else None,
                    "≤ 1 s",
                    visible is not None and visible <= 1.0,
                    data={"seconds": visible},
                )
            )
            server.stop()
            ctx.databases.drop(url)

            count = 33 if settings.quick else 200
            warm = ctx.databases.new(kind, "credwarm")
            migrate(warm)
            issue_batch(ctx, warm, 2)
            ctx.databases.drop(warm)
            with_entry, without_entry = [], []
            for _round in range(2 if settings.quick else 3):
                for bucket, issue in ((with_entry, issue_batch), (without_entry, _issue_without_entry)):
                    batch_url = ctx.databases.new(kind, "credissue")
                    migrate(batch_url)
                    elapsed, issued = issue(ctx, batch_url, count)
                    bucket.append(elapsed / max(issued, 1))
                    ctx.databases.drop(batch_url)
            per_with, per_without = statistics.median(with_entry) * 1000, statistics.median(without_entry) * 1000
            ctx.log(f"issuing per certificate: {per_with:.2f} ms with a status entry, {per_without:.2f} ms without")
            rows.append(
                Row(
                    SECTION,
                    f"issuing {count} certificates, per certificate, with vs without status entry, {LABELS[kind]}",
                    ms(per_with),
                    ms(per_without),
                    per_with / per_without,
                    "≤ 1.05×",
                    per_with <= 1.05 * per_without,
                    data={"with_ms": with_entry, "without_ms": without_entry},
                )
            )
    finally:
        for server in servers:
            server.stop()
    return rows
