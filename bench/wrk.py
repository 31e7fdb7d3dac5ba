"""Running wrk against a loopback URL and reading its numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: throughput, latency percentiles (ms) and error counts."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connect/read/write/timeout errors plus responses with status >= 400
    non_2xx: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LoadSettings:
    threads: int = 2
    connections: int = 16
    seconds: int = 10
    warmup_seconds: int = 3
    repeat: int = 1


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    return path


def run_wrk(base_url: str, paths: list[str], settings: LoadSettings, seconds: int) -> LoadResult:
    """One bounded wrk run over ``paths`` (requests cycle through the list)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
        paths_file = handle.name
    try:
        command = [
            wrk_path(),
            f"-t{settings.threads}",
            f"-c{settings.connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(SCRIPT),
            base_url + paths[0],
            "--",
            paths_file,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    finally:
        Path(paths_file).unlink(missing_ok=True)
    line = next(line for line in reversed(completed.stdout.splitlines()) if line.startswith("{"))
    data = json.loads(line)
    errors_io = data["errors_connect"] + data["errors_read"] + data["errors_write"] + data["errors_timeout"]
    seconds_run = data["duration_us"] / 1e6
    return LoadResult(
        requests=data["requests"],
        seconds=round(seconds_run, 2),
        rps=round(data["requests"] / seconds_run, 1),
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors_io + data["errors_status"],
        non_2xx=data["errors_status"],
    )


def warm_up(base_url: str, paths: list[str], settings: LoadSettings, workers: int = 1, cap_seconds: int = 40) -> int:
    """Load before measuring: at least ``warmup_seconds``, and until every path has been asked
    about twice per worker (so per-process caches are as warm as they get in steady traffic),
    but no longer than ``cap_seconds``. Returns the requests sent."""
    if settings.warmup_seconds <= 0:
        return 0
    sent, spent = 0, 0
    while spent < cap_seconds:
        sent += run_wrk(base_url, paths, settings, settings.warmup_seconds).requests
        spent += settings.warmup_seconds
        if len(paths) == 1 or sent >= 2 * workers * len(paths):
            break
    return sent


def median_result(results: list[LoadResult]) -> LoadResult:
    """The run with the median throughput (its own latencies, not a mix of runs)."""
    ordered = sorted(results, key=lambda result: result.rps)
    chosen = ordered[(len(ordered) - 1) // 2]
    # Errors count over every run: one failing run must not hide behind a median.
    total_errors = sum(result.errors for result in results)
    total_non_2xx = sum(result.non_2xx for result in results)
    return LoadResult(**{**chosen.as_dict(), "errors": total_errors, "non_2xx": total_non_2xx})
