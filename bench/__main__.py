"""``python -m bench`` (``make bench``): every benchmark against its floor, one Markdown table.

    python -m bench                 # full run (about 15 minutes on 2 cores)
    python -m bench --smoke         # seconds per figure: proves the harness on a busy machine
    python -m bench --only load,issuing --db sqlite

The table goes to stdout, progress to stderr, every number to bench/results/*.json.
bench/README.md explains how to read it.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from dataclasses import asdict, replace
from datetime import datetime

from bench.context import Context, Settings
from bench.databases import Databases
from bench.report import Row, machine, markdown, write_json

SUITES = ("load", "scale", "issuing", "memory", "mail", "credentials", "scaleout")


def parse(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="short runs and small sizes, to prove the harness")
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated suites out of {', '.join(SUITES)}")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--seconds", type=int, help="seconds per measured wrk run")
    parser.add_argument("--repeat", type=int, help="wrk rounds per target (the median counts)")
    parser.add_argument("--sizes", help="participants per synthetic programme, e.g. 33,1000,10000")
    args = parser.parse_args(argv)

    settings = Settings.smoke() if args.smoke else Settings()
    suites = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = set(suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
    kinds = tuple(name.strip() for name in args.db.split(",") if name.strip())
    if set(kinds) - {"sqlite", "postgresql"}:
        parser.error("--db takes sqlite and/or postgresql")
    load = settings.load
    if args.seconds:
        load = replace(load, seconds=args.seconds)
    if args.repeat:
        load = replace(load, repeat=args.repeat)
    settings = replace(settings, suites=suites, kinds=kinds, load=load)
    if args.sizes:
        settings = replace(settings, sizes=tuple(int(size) for size in args.sizes.split(",")))
    return settings


def main(argv: list[str] | None = None) -> int:
    settings = parse(argv)
    started = datetime.now()
    machine_info = machine()
    databases = Databases()
    if "postgresql" in settings.kinds and not databases.postgres_available():
        print("PostgreSQL is not reachable (BENCH_POSTGRES_URL); measuring SQLite only.", file=sys.stderr)
        settings = replace(settings, kinds=tuple(kind for kind in settings.kinds if kind != "postgresql"))
    ctx = Context(settings, databases, databases.folder)
    ctx.log(f"work folder {ctx.work}; suites {', '.join(settings.suites)}; databases {', '.join(settings.kinds)}")
    rows: list[Row] = []
    failed = False
    try:
        for name in settings.suites:
            module = __import__(f"bench.{name}", fromlist=["run"])
            ctx.log(f"== {name}")
            try:
                rows += module.run(ctx)
            except Exception:  # noqa: BLE001 - one broken suite must not hide the others' figures
                failed = True
                traceback.print_exc()
                rows.append(Row(name, f"{name}: the suite failed (see the log above)", "error", met=False))
    finally:
        databases.close()

    path = write_json(rows, {**asdict(settings), "pid": os.getpid()}, started, machine_info)
    print(f"\n## wirlearn benchmarks, {started:%Y-%m-%d %H:%M}" + (" (smoke run)" if settings.quick else ""))
    print(
        f"\n{machine_info.get('cores', '?')} cores, {machine_info.get('cpu', '?')}; load before the run "
        f"{' '.join(machine_info.get('loadavg', []))}; commit {machine_info.get('commit', '?')}; "
        f"wrk -t{settings.load.threads} -c{settings.load.connections} -d{settings.load.seconds}s × {settings.load.repeat}\n"
    )
    print(markdown(rows))
    print(f"\nAll numbers: {path.relative_to(path.parents[2])}")
    missed = [row for row in rows if row.met is False]
    return 1 if failed or missed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    sys.exit(main())
