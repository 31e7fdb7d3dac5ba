"""Rows of the result table, printed as Markdown and written as JSON."""

from __future__ import annotations

import contextlib
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NOT_ON_MAIN = "feature not on main yet"


@dataclass
class Row:
    """One figure: wirlearn's value, the baseline's, their ratio and whether the target is met.

    ``ratio`` is always wirlearn ÷ baseline of the numbers shown; ``met`` is None for figures
    without a target (shown for information) and for figures that could not be measured.
    """

    section: str
    figure: str
    wirlearn: str
    baseline: str = "–"
    ratio: float | None = None
    target: str = "–"
    met: bool | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def missing(cls, section: str, figure: str, target: str, why: str = NOT_ON_MAIN) -> Row:
        return cls(section, figure, why, target=target, data={"skipped": why})


def ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def rps(value: float) -> str:
    return f"{value:,.0f} req/s"


def mib(value_kib: float) -> str:
    return f"{value_kib / 1024:.1f} MiB"


def ratio_text(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}×"


def met_text(row: Row) -> str:
    if row.met is None:
        return "–"
    return "yes" if row.met else "**no**"


def markdown(rows: list[Row]) -> str:
    lines = ["| figure | wirlearn | baseline | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for row in rows:
        cells = [row.figure, row.wirlearn, row.baseline, ratio_text(row.ratio), row.target, met_text(row)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What a reader needs to compare runs: CPU, cores, load before the run, versions."""
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
        info["cores"] = len(names)
        info["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        info["memory"] = next(line.split(":", 1)[1].strip() for line in meminfo if line.startswith("MemTotal"))
    except OSError:
        pass
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=RESULTS.parent
        ).stdout.strip()
    return info


def write_json(rows: list[Row], settings: dict[str, Any], started: datetime, machine_info: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{started:%Y%m%d-%H%M%S}.json"
    payload = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info,
        "settings": settings,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    latest = RESULTS / "latest.json"
    latest.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return path
