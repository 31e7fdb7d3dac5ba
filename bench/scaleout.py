"""Scale-out: two wirlearn gunicorn instances on different ports against one PostgreSQL and one
Redis, as two app servers behind a load balancer would run (docs/betrieb.md, "Mehrere
App-Server"). Shows, with production settings on both:

* **no sticky sessions**: a sign-in on server A is valid on server B (signed cookie, same
  ``SECRET_KEY``);
* **coherent caches**: the programme overview (per-worker figures keyed by the database's
  change counter) shows a change made elsewhere on both servers at the next view;
* **shared rate limits**: the verification budget of one address is counted in Redis, so
  requests to A and B draw on the same budget (``X-RateLimit-Remaining`` falls across both);
* **revocation visible on both** within 1 s;
* **throughput**: the verification JSON over many distinct codes, both servers at once (wrk
  against each, half the connections each) against server A alone (all connections).
"""

from __future__ import annotations

import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from bench import certs
from bench.apps import FeatureMissing, in_process_app, server_env
from bench.context import Context
from bench.databases import migrate
from bench.generator import generate_programme
from bench.report import Row, ms, rps
from bench.servers import Server, configured_workers
from bench.wrk import median_result, run_wrk, warm_up

SECTION = "scaleout"
PASSWORD = "bench-passwort-123"  # noqa: S105 - synthetic users in a throwaway database
REDIS = ("127.0.0.1", 6379)
REVOCATION_TARGET_S = 1.0
WITHDRAWN = re.compile(r"davon (\d+) ausgeschieden")


class NoRedirect(urllib.request.HTTPErrorProcessor):
    def http_response(self, request, response):
        return response

    https_response = http_response


OPENER = urllib.request.build_opener(NoRedirect)


def _request(url: str, *, data: dict | None = None, cookie: str | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)  # noqa: S310 - loopback
    if cookie:
        request.add_header("Cookie", cookie)
    with OPENER.open(request, timeout=10) as response:  # type: HTTPResponse
        return response.status, dict(response.headers.items()), response.read().decode("utf-8", "replace")


def _cookie(headers: dict) -> str | None:
    value = headers.get("Set-Cookie")
    return value.split(";", 1)[0] if value else None


def _redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def run(ctx: Context) -> list[Row]:
    title = "two app servers, one PostgreSQL and Redis"
    if "postgresql" not in ctx.settings.kinds:
        return [Row.missing(SECTION, title, "report", "needs PostgreSQL")]
    if not _redis_available():
        return [Row.missing(SECTION, title, "report", "needs Redis on 127.0.0.1:6379")]
    servers: list[Server] = []
    try:
        return _run(ctx, servers)
    finally:
        for server in servers:
            server.stop()


def _prepare(ctx: Context, url: str, count: int):
    """A finished series with ``count`` certificates issued, kept progress records written."""
    from sqlalchemy import select, text

    from wirlearn.auth.passwords import hash_password
    from wirlearn.certificates.models import Certificate
    from wirlearn.extensions import db

    app = in_process_app(ctx, url)
    with app.app_context():
        programme = generate_programme(count, password_hash=hash_password(PASSWORD), finished=True, all_eligible=True)
        db.session.commit()
        certs.issue_all(certs.issuing_service(), programme.series_id, programme.admin_id)
        db.session.commit()
        try:
            from wirlearn.progress import kept

            kept.refresh(db.session)
            db.session.commit()
        except ImportError:
            pass
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        codes = list(db.session.scalars(select(Certificate.code).order_by(Certificate.id)))
    return app, programme, codes


def _run(ctx: Context, servers: list[Server]) -> list[Row]:
    settings = ctx.settings
    logs = ctx.work / "logs"
    url = ctx.databases.new("postgresql", "scaleout")
    migrate(url)
    try:
        app, programme, codes = _prepare(ctx, url, settings.load_certificates)
    except FeatureMissing as missing:
        return [Row.missing(SECTION, "two app servers, one PostgreSQL and Redis", "report", str(missing))]
    env = server_env(ctx, url) | {
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        # Counters of this run only; high enough that the throughput runs are never refused.
        "RATELIMIT_KEY_PREFIX": f"bench-scaleout-{time.time_ns()}",
        "RATELIMIT_VERIFY": "100000000 per minute",
        "REQUIRE_2FA_FOR_ADMINS": "false",
    }
    a = Server("wirlearn-a", "wirlearn:create_app()", env, logs / "scaleout-a.log")
    b = Server("wirlearn-b", "wirlearn:create_app()", env, logs / "scaleout-b.log")
    servers += [a.start("/healthz"), b.start("/healthz")]
    ctx.log(f"server A {a.base_url}, server B {b.base_url}, one PostgreSQL database and Redis")

    rows = [_sessions_and_caches(ctx, app, programme, a, b)]
    rows.append(_shared_limits(codes, a, b))
    rows.append(_revocation(app, codes, a, b))
    rows += _throughput(ctx, codes[1:], a, b)
    return rows


def _sessions_and_caches(ctx: Context, app, programme, a: Server, b: Server) -> Row:
    from flask import url_for
    from sqlalchemy import select

    from wirlearn.extensions import db
    from wirlearn.programme.models import Enrollment
    from wirlearn.programme.services import set_enrollment_status

    figure = "sign-in on A valid on B; overview after a change elsewhere, on A and B (change counter)"
    with app.test_request_context():
        overview = url_for("progress.overview", series_id=programme.series_id)
    status, headers, page = _request(a.base_url + "/anmelden")
    cookie = _cookie(headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, headers, _page = _request(
        a.base_url + "/anmelden", data={"email": programme.admin_email, "password": PASSWORD, "csrf_token": token}, cookie=cookie
    )
    cookie = _cookie(headers) or cookie
    if status != 302:
        return Row(SECTION, figure, f"sign-in on A failed ({status})", met=False)

    def withdrawn(server: Server) -> int | None:
        code, _headers, html = _request(server.base_url + overview, cookie=cookie)
        if code != 200:
            return None
        found = WITHDRAWN.search(html)
        return int(found.group(1)) if found else 0

    before = (withdrawn(a), withdrawn(b))  # both workers of each server may need two views to warm
    before = (withdrawn(a), withdrawn(b))
    if None in before:
        return Row(SECTION, figure, f"overview on A/B answered {before}", met=False)
    with app.test_request_context():
        enrollment = db.session.scalar(
            select(Enrollment).where(Enrollment.series_id == programme.series_id, Enrollment.status == "active").limit(1)
        )
        set_enrollment_status(enrollment, "withdrawn")
        db.session.commit()
        db.session.remove()
    started = time.perf_counter()
    after = (withdrawn(a), withdrawn(b), withdrawn(a), withdrawn(b))  # each worker of each server
    elapsed = time.perf_counter() - started
    coherent = before[0] == before[1] and all(value == before[0] + 1 for value in after)
    ctx.log(f"overview withdrawn count before {before}, after {after}")
    return Row(
        SECTION,
        figure,
        f"B accepted A's sign-in; withdrawn {before[0]} → {after[0]} on A, {after[1]} on B ({ms(elapsed * 1000 / 4)} per view)",
        "same data on both",
        target="coherent, no sticky sessions",
        met=coherent,
        data={"before": before, "after": after},
    )


def _shared_limits(codes: list[str], a: Server, b: Server) -> Row:
    remaining = []
    for server in (a, b, a, b):
        try:
            _status, headers, _body = _request(f"{server.base_url}/api/v1/verify/{codes[0]}")
        except urllib.error.URLError as error:
            return Row(SECTION, "rate limit shared by A and B (Redis)", f"error: {error}", met=False)
        remaining.append(int(headers.get("X-RateLimit-Remaining", "-1")))
    shared = all(later == earlier - 1 for earlier, later in zip(remaining, remaining[1:], strict=False))
    return Row(
        SECTION,
        "rate limit shared by A and B (Redis): X-RateLimit-Remaining over A, B, A, B",
        " → ".join(f"{value:,}" for value in remaining),
        target="falls by one per request on either",
        met=shared,
        data={"remaining": remaining},
    )


def _status(base_url: str, code: str) -> str | None:
    import json

    try:
        _code, _headers, body = _request(f"{base_url}/api/v1/verify/{code}")
        return json.loads(body).get("status")
    except (urllib.error.URLError, ValueError):
        return None


def _revocation(app, codes: list[str], a: Server, b: Server) -> Row:
    code = codes[0]
    for _ in range(4):  # every worker of both servers has the certificate's page and state warm
        _status(a.base_url, code), _status(b.base_url, code)
    committed = certs.revoke(app, code)
    seen: dict[str, float] = {}
    deadline = committed + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        for name, server in (("A", a), ("B", b)):
            if name not in seen and _status(server.base_url, code) == "revoked":
                seen[name] = time.monotonic() - committed
        time.sleep(0.01)
    slowest = max(seen.values()) if len(seen) == 2 else None
    return Row(
        SECTION,
        "revocation visible on A and B after the commit",
        f"{slowest:.2f} s" if slowest is not None else "not seen within 10 s",
        target=f"≤ {REVOCATION_TARGET_S:.0f} s",
        met=slowest is not None and slowest <= REVOCATION_TARGET_S,
        data={"seconds": seen},
    )


def _throughput(ctx: Context, codes: list[str], a: Server, b: Server) -> list[Row]:
    settings = ctx.settings.load
    paths = [f"/api/v1/verify/{code}" for code in codes]
    half = replace(settings, connections=max(1, settings.connections // 2))
    for server in (a, b):
        warm_up(server.base_url, paths, settings, workers=configured_workers())
    alone, pairs = [], []
    for _round in range(settings.repeat):
        alone.append(run_wrk(a.base_url, paths, settings, settings.seconds))
        with ThreadPoolExecutor(2) as pool:
            both = list(pool.map(lambda server: run_wrk(server.base_url, paths, half, settings.seconds), (a, b)))
        pairs.append(both)
        ctx.log(f"one server {alone[-1].rps:,.0f} req/s; two servers {both[0].rps:,.0f} + {both[1].rps:,.0f} req/s")
    one = median_result(alone)
    totals = sorted(pairs, key=lambda pair: pair[0].rps + pair[1].rps)
    pair = totals[(len(totals) - 1) // 2]
    total = pair[0].rps + pair[1].rps
    errors = sum(result.errors for result in alone) + sum(result.errors for both in pairs for result in both)
    workers = configured_workers()
    return [
        Row(
            SECTION,
            f"verification JSON, two servers ({2 * workers} workers) vs one ({workers}), one PostgreSQL, same machine",
            f"{rps(total)} (A {rps(pair[0].rps)}, B {rps(pair[1].rps)}), p99 {max(pair[0].p99_ms, pair[1].p99_ms):.1f} ms",
            f"{rps(one.rps)}, p99 {one.p99_ms:.1f} ms (A alone)",
            total / one.rps if one.rps else None,
            "(reported)",
            data={"one": one.as_dict(), "two": [result.as_dict() for result in pair], "errors": errors},
        ),
        Row(
            SECTION,
            "verification JSON on two servers: errors (incl. non-2xx)",
            f"{errors:,}",
            target="0",
            met=errors == 0,
        ),
    ]
