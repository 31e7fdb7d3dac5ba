"""Load figures: the public verification page and JSON under gunicorn against the floors.

Every server runs at the same time with the same gunicorn settings (``bench.servers``); wrk
visits them one after the other, ``repeat`` rounds, and the median round counts, so drift on a
shared machine hits wirlearn and its floors alike. Afterwards: peak memory of the workers, and
how long a revocation takes to show.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from bench import certs
from bench.apps import FeatureMissing, in_process_app, server_env
from bench.context import Context
from bench.databases import LABELS, migrate
from bench.floor_app import fill
from bench.memory import peak_rss_kib, uss_kib
from bench.report import Row, mib, ms, rps
from bench.servers import Server, configured_workers
from bench.wrk import LoadResult, median_result, run_wrk, warm_up

SECTION = "load"
# Throughput targets against bare Flask (issue #7); and the same expressed against the floor.
THROUGHPUT_TARGET = {"sqlite": 0.45, "postgresql": 0.30}
FLOOR_SHARE_TARGET = 0.90
P99_TARGET = 2.0
REVOCATION_TARGET_S = 1.0
# The page's status heading for a revoked certificate (templates/verify/certificate.html).
REVOKED_MARKER = "Widerrufen am"


@dataclass
class Target:
    key: str
    label: str
    server: Server
    paths: list[str]
    results: list[LoadResult] = field(default_factory=list)

    @property
    def result(self) -> LoadResult:
        return median_result(self.results)


def run(ctx: Context) -> list[Row]:
    servers: list[Server] = []
    try:
        return _run(ctx, servers)
    finally:
        for server in servers:
            server.stop()


def _run(ctx: Context, servers: list[Server]) -> list[Row]:
    settings = ctx.settings
    logs = ctx.work / "logs"
    targets: dict[str, Target] = {}
    floors: dict[str, Server] = {}
    wirlearn: dict[str, Server] = {}
    codes_by_kind: dict[str, list[str] | None] = {}
    missing_why: dict[str, str] = {}
    urls: dict[str, str] = {}
    floor_urls: dict[str, str] = {}
    floor_codes_by_kind: dict[str, list[str]] = {}

    for kind in settings.kinds:
        floor_url = ctx.databases.new(kind, "floor")
        floor_codes = fill(floor_url, settings.load_certificates)
        floor_urls[kind], floor_codes_by_kind[kind] = floor_url, floor_codes
        floors[kind] = Server(
            f"floor-{kind}", "bench.floor_app:create_app()", {"FLOOR_DATABASE_URL": floor_url}, logs / f"floor-{kind}.log"
        )
        servers.append(floors[kind].start("/bare"))
        ctx.log(f"floor on {LABELS[kind]} serves {floors[kind].base_url}")
        if "bare" not in targets:
            targets["bare"] = Target("bare", "bare Flask route", floors[kind], ["/bare"])
        targets[f"floor-{kind}"] = Target(
            f"floor-{kind}",
            f"floor: one lookup + template, {LABELS[kind]}",
            floors[kind],
            [f"/lookup/{code}" for code in floor_codes],
        )

        url = ctx.databases.new(kind, "load")
        urls[kind] = url
        migrate(url)
        try:
            codes_by_kind[kind] = certs.prepare(ctx, url, settings.load_certificates)
        except FeatureMissing as missing:
            codes_by_kind[kind] = None
            missing_why[kind] = str(missing)
        wirlearn[kind] = Server(f"wirlearn-{kind}", "wirlearn:create_app()", server_env(ctx, url), logs / f"wirlearn-{kind}.log")
        servers.append(wirlearn[kind].start("/healthz"))
        ctx.log(f"wirlearn on {LABELS[kind]} serves {wirlearn[kind].base_url}")
        targets[f"health-{kind}"] = Target(f"health-{kind}", f"wirlearn /healthz, {LABELS[kind]}", wirlearn[kind], ["/healthz"])
        codes = codes_by_kind[kind]
        if codes:
            targets[f"page-{kind}"] = Target(
                f"page-{kind}", f"verification page /v/{{code}}, {LABELS[kind]}", wirlearn[kind], [f"/v/{code}" for code in codes]
            )
            targets[f"json-{kind}"] = Target(
                f"json-{kind}",
                f"verification JSON /api/v1/verify/{{code}}, {LABELS[kind]}",
                wirlearn[kind],
                [f"/api/v1/verify/{code}" for code in codes],
            )

    available = _check_routes(ctx, targets)
    for key in list(targets):
        if key not in available:
            del targets[key]

    for target in targets.values():
        sent = warm_up(target.server.base_url, target.paths, settings.load, workers=configured_workers())
        ctx.log(f"warm-up {target.label}: {sent:,} requests")
    for round_number in range(1, settings.load.repeat + 1):
        for target in targets.values():
            target.results.append(run_wrk(target.server.base_url, target.paths, settings.load, settings.load.seconds))
            ctx.log(
                f"round {round_number}: {target.label}: {target.results[-1].rps:,.0f} req/s, p99 {target.results[-1].p99_ms:.1f} ms"
            )

    rows = _rows(settings.kinds, targets)
    rows += _cold_rows(ctx, settings.kinds, urls, codes_by_kind, floor_urls, floor_codes_by_kind)
    rows += _memory_rows(settings.kinds, floors, wirlearn)
    rows += _revocation_rows(ctx, settings.kinds, urls, wirlearn, codes_by_kind)
    return rows


def _check_routes(ctx: Context, targets: dict[str, Target]) -> set[str]:
    """Keys of the targets whose first path answers 2xx (a 404 means the route is not on main)."""
    kept = set()
    for key, target in targets.items():
        path = target.paths[0]
        try:
            with urllib.request.urlopen(target.server.base_url + path, timeout=10) as response:  # noqa: S310 - loopback
                response.read()
            kept.add(key)
        except urllib.error.HTTPError as error:
            ctx.log(f"{target.label}: {path} answered {error.code}; left out")
    return kept


def _rows(kinds: tuple[str, ...], targets: dict[str, Target]) -> list[Row]:
    rows: list[Row] = []
    bare = targets["bare"].result
    rows.append(
        Row(
            SECTION,
            "bare Flask route (the reference)",
            "–",
            f"{rps(bare.rps)}, p99 {ms(bare.p99_ms)}",
            data={"bare": bare.as_dict()},
        )
    )
    for kind in kinds:
        label = LABELS[kind]
        floor = targets[f"floor-{kind}"].result
        rows.append(
            Row(
                SECTION,
                f"floor: one indexed lookup + template, {label} (for reference)",
                f"{rps(floor.rps)}, p99 {ms(floor.p99_ms)}",
                rps(bare.rps),
                floor.rps / bare.rps,
                "–",
                data={"floor": floor.as_dict()},
            )
        )
        health = targets.get(f"health-{kind}")
        if health:
            result = health.result
            rows.append(
                Row(
                    SECTION,
                    f"wirlearn /healthz (SELECT 1), {label}: throughput vs floor (for reference)",
                    f"{rps(result.rps)}, p99 {ms(result.p99_ms)}",
                    rps(floor.rps),
                    result.rps / floor.rps,
                    data={"wirlearn": result.as_dict(), "floor": floor.as_dict()},
                )
            )
        for page, name in (("page", "verification page"), ("json", "verification JSON")):
            target = targets.get(f"{page}-{kind}")
            prefix = f"{name}, {label}"
            if target is None:
                rows.append(Row.missing(SECTION, f"{prefix}: throughput vs bare Flask", f"≥ {THROUGHPUT_TARGET[kind]:.2f}×"))
                continue
            result = target.result
            share = THROUGHPUT_TARGET[kind]
            data = {"wirlearn": result.as_dict(), "floor": floor.as_dict(), "bare": bare.as_dict()}
            rows.append(
                Row(
                    SECTION,
                    f"{prefix}: throughput vs bare Flask",
                    rps(result.rps),
                    rps(bare.rps),
                    result.rps / bare.rps,
                    f"≥ {share:.2f}×",
                    result.rps / bare.rps >= share,
                    data,
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{prefix}: throughput vs lookup floor",
                    rps(result.rps),
                    rps(floor.rps),
                    result.rps / floor.rps,
                    f"≥ {FLOOR_SHARE_TARGET:.2f}×",
                    result.rps / floor.rps >= FLOOR_SHARE_TARGET,
                    data,
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{prefix}: p99 latency vs lookup floor",
                    ms(result.p99_ms),
                    ms(floor.p99_ms),
                    result.p99_ms / floor.p99_ms,
                    f"≤ {P99_TARGET:.1f}×",
                    result.p99_ms <= P99_TARGET * floor.p99_ms,
                    data,
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{prefix}: errors (incl. non-2xx)",
                    f"{result.errors} of {result.requests * len(target.results):,}",
                    target="0",
                    met=result.errors == 0,
                    data=data,
                )
            )
    return rows


def _cold_rows(ctx, kinds, urls, codes_by_kind, floor_urls, floor_codes_by_kind) -> list[Row]:
    """The first view of each certificate in a fresh process (no cached signature check or page),
    in this process without HTTP: what a worker pays before its caches help. For reference."""
    from werkzeug.test import EnvironBuilder

    from bench.floor_app import create_app as create_floor_app
    from wirlearn import create_app
    from wirlearn.extensions import db

    rows = []
    for kind in kinds:
        codes = codes_by_kind.get(kind)
        if not codes:
            continue
        env = server_env(ctx, urls[kind])
        app = create_app(
            "production",
            SQLALCHEMY_DATABASE_URI=urls[kind],
            SECRET_KEY=env["SECRET_KEY"],
            BASE_URL=env["BASE_URL"],
            MAIL_DEFAULT_SENDER=env["MAIL_DEFAULT_SENDER"],
            RATELIMIT_ENABLED=False,
            SIGNING_KEY_DIR=env["SIGNING_KEY_DIR"],
        )
        floor = create_floor_app(floor_urls[kind])

        def per_request(wsgi_app, paths):
            started = time.perf_counter()
            for path in paths:
                body = wsgi_app(EnvironBuilder(path=path).get_environ(), lambda *_args: None)
                b"".join(body)
                body.close()
            return (time.perf_counter() - started) / len(paths) * 1000

        per_request(app.wsgi_app, ["/healthz"] * 20)  # connections and templates loaded
        per_request(floor.wsgi_app, [f"/lookup/{code}" for code in floor_codes_by_kind[kind][:20]])
        sample = codes[: min(len(codes), 300)]
        ours = per_request(app.wsgi_app, [f"/v/{code}" for code in sample])
        again = per_request(app.wsgi_app, [f"/v/{code}" for code in sample])
        theirs = per_request(floor.wsgi_app, [f"/lookup/{code}" for code in floor_codes_by_kind[kind][: len(sample)]])
        with app.app_context():
            db.engine.dispose()
        rows.append(
            Row(
                SECTION,
                f"verification page, first view / repeat view of a certificate, in-process, {LABELS[kind]} (for reference)",
                f"{ms(ours)} / {ms(again)} per request",
                f"{ms(theirs)} (floor)",
                ours / theirs,
                data={"first_ms": ours, "repeat_ms": again, "floor_ms": theirs, "certificates": len(sample)},
            )
        )
    return rows


# Issue #15: a wirlearn worker's peak RSS at most 1.6 × the floor worker's.
RSS_TARGET = 1.6


def _memory_rows(kinds: tuple[str, ...], floors: dict[str, Server], wirlearn: dict[str, Server]) -> list[Row]:
    rows = []
    for kind in kinds:
        ours = max((peak_rss_kib(pid) for pid in wirlearn[kind].worker_pids()), default=0)
        theirs = max((peak_rss_kib(pid) for pid in floors[kind].worker_pids()), default=0)
        ratio = ours / theirs if theirs else None
        rows.append(
            Row(
                "memory",
                f"peak RSS of one gunicorn worker after the load runs, {LABELS[kind]}",
                mib(ours),
                mib(theirs) + " (floor worker)",
                ratio,
                f"≤ {RSS_TARGET}×",
                ratio is not None and ratio <= RSS_TARGET,
                data={"wirlearn_kib": ours, "floor_kib": theirs},
            )
        )
        # What each worker holds on its own (the rest is shared with the master and the other workers).
        our_uss = max((uss_kib(pid) for pid in wirlearn[kind].worker_pids()), default=0)
        their_uss = max((uss_kib(pid) for pid in floors[kind].worker_pids()), default=0)
        rows.append(
            Row(
                "memory",
                f"unique memory (USS) of one gunicorn worker after the load runs, {LABELS[kind]}",
                mib(our_uss),
                mib(their_uss) + " (floor worker)",
                our_uss / their_uss if their_uss else None,
                "(reported)",
                data={"wirlearn_kib": our_uss, "floor_kib": their_uss},
            )
        )
    return rows


def _status_of(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return json.loads(response.read()).get("status")
    except (urllib.error.URLError, ValueError):
        return None


def _revocation_rows(ctx, kinds, urls, wirlearn, codes_by_kind) -> list[Row]:
    rows = []
    for kind in kinds:
        figure = f"revocation visible on /api/v1/verify and /v/ after, {LABELS[kind]}"
        target = f"≤ {REVOCATION_TARGET_S:.0f} s"
        codes = codes_by_kind.get(kind)
        if not codes:
            rows.append(Row.missing("load", figure, target))
            continue
        code = codes[len(codes) // 2]
        base = wirlearn[kind].base_url
        if _status_of(f"{base}/api/v1/verify/{code}") != "valid" or _page_shows_revoked(f"{base}/v/{code}", 0.0) is not None:
            rows.append(Row("load", figure, "certificate not shown as valid before revoking", target=target, met=False))
            continue
        app = in_process_app(ctx, urls[kind])
        try:
            started = certs.revoke(app, code)
        except FeatureMissing:
            rows.append(Row.missing("load", figure, target))
            continue
        seen_json = seen_page = None
        while time.monotonic() - started < 10 and (seen_json is None or seen_page is None):
            now = time.monotonic()
            if seen_json is None and _status_of(f"{wirlearn[kind].base_url}/api/v1/verify/{code}") == "revoked":
                seen_json = now - started
            if seen_page is None:
                seen_page = _page_shows_revoked(f"{wirlearn[kind].base_url}/v/{code}", now - started)
            time.sleep(0.02)
        worst = max(value for value in (seen_json, seen_page) if value is not None) if (seen_json or seen_page) else None
        if seen_json is None or seen_page is None:
            rows.append(
                Row("load", figure, "not within 10 s", target=target, met=False, data={"json_s": seen_json, "page_s": seen_page})
            )
        else:
            rows.append(
                Row(
                    "load",
                    figure,
                    f"{worst:.2f} s",
                    target=target,
                    met=worst <= REVOCATION_TARGET_S,
                    data={"json_s": seen_json, "page_s": seen_page},
                )
            )
    return rows


def _page_shows_revoked(url: str, elapsed: float) -> float | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            body = response.read().decode("utf-8", "replace")
    except urllib.error.URLError:
        return None
    return elapsed if REVOKED_MARKER in body else None
