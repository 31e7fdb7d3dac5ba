"""Memory figures: peak resident memory (VmHWM from /proc) of a gunicorn worker and of a
certificate batch, which must not grow with the number of certificates."""

from __future__ import annotations

from pathlib import Path


def _status_field(pid: int | str, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])  # kB
    raise LookupError(name)


def peak_rss_kib(pid: int | str = "self") -> int:
    """Highest resident set size the process has had so far (VmHWM), in KiB."""
    try:
        return _status_field(pid, "VmHWM")
    except (OSError, LookupError):
        return 0


def rss_kib(pid: int | str = "self") -> int:
    try:
        return _status_field(pid, "VmRSS")
    except (OSError, LookupError):
        return 0


def uss_kib(pid: int | str = "self") -> int:
    """Unique set size: the memory only this process holds (its private pages), in KiB. With the
    app preloaded in the gunicorn master, code and data loaded before the fork are shared and
    count in every worker's RSS but in no worker's USS."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    total = 0
    for line in text.splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:", "Private_Hugetlb:")):
            total += int(line.split()[1])
    return total


def reset_peak(pid: int | str = "self") -> bool:
    """Start VmHWM again from the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# -- the certificate batch -----------------------------------------------------------------------

SECTION = "memory"
GROWTH_TARGET = 1.10


def run(ctx):
    """Peak RSS of a process issuing the larger batch vs the smaller one (fresh process each)."""
    import json
    import subprocess
    import sys

    from bench import certs
    from bench.apps import FeatureMissing, in_process_app
    from bench.databases import LABELS, migrate
    from bench.generator import generate_programme
    from bench.report import Row, mib
    from bench.servers import ROOT

    small, large = ctx.settings.memory_sizes
    kind = "postgresql" if "postgresql" in ctx.settings.kinds else ctx.settings.kinds[0]
    figure = f"peak RSS issuing {large:,} certificates vs {small:,} (one process each), {LABELS[kind]}"
    target = f"≤ {GROWTH_TARGET:.2f}× (flat)"
    try:
        certs.issuing_service()
    except FeatureMissing:
        return [Row.missing(SECTION, figure, target)]

    from wirlearn.auth.passwords import hash_password
    from wirlearn.extensions import db

    measured = {}
    for count in (small, large):
        url = ctx.databases.new(kind, f"mem{count}")
        migrate(url)
        app = in_process_app(ctx, url)
        with app.app_context():
            password_hash = hash_password("bench-password")
            warm = generate_programme(2, password_hash=password_hash, finished=True, all_eligible=True, seed=1)
            batch = generate_programme(count, password_hash=password_hash, finished=True, all_eligible=True)
            db.session.commit()
            db.engine.dispose()
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.batch",
                url,
                str(ctx.signing_key_dir),
                str(warm.series_id),
                str(batch.series_id),
                str(batch.admin_id),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        ctx.databases.drop(url)
        if completed.returncode != 0:
            raise RuntimeError(f"bench.batch failed:\n{completed.stderr[-3000:]}")
        measured[count] = json.loads(completed.stdout.strip().splitlines()[-1])
        ctx.log(f"batch of {count:,}: {measured[count]}")
    ours, base = measured[large], measured[small]
    return [
        Row(
            SECTION,
            figure,
            f"{mib(ours['peak_kib'])} (+{mib(ours['peak_kib'] - ours['before_kib'])} during the batch)",
            f"{mib(base['peak_kib'])} (+{mib(base['peak_kib'] - base['before_kib'])})",
            ours["peak_kib"] / base["peak_kib"],
            target,
            ours["issued"] == large and ours["peak_kib"] <= GROWTH_TARGET * base["peak_kib"],
            data={"large": ours, "small": base},
        )
    ]
