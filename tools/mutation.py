"""Mutation testing of the rules users rely on (`make mutation`), with mutmut 3.

    python tools/mutation.py                      every module in [tool.wirlearn.mutation.modules]
    python tools/mutation.py wirlearn/core/access.py ...   only these modules
    python tools/mutation.py --report             no run: score and survivors from the last results
    python tools/mutation.py MODULE --only load_roster,_validate   only the mutants of these functions

Each module runs with its own fast tests (the files listed for it in pyproject.toml; never
tests/browser): ``WIRLEARN_MUTATION_TESTS`` tells the pytest plugin tests/mutation_select.py which
files to collect, and mutmut's test-to-function map is rebuilt for each module. mutmut works in a
copy, ``mutants/`` (not committed), and keeps each mutant's result there: a later run only runs
the mutants not yet killed (``--fresh``: all), and ``--report`` shows the results without a run.

Prints the score per module (killed ÷ mutants; "without equivalents" leaves out the mutants
listed in [tool.wirlearn.mutation.equivalent]), puts that table with the commit into
docs/mutation.md and writes every survivor to docs/mutation-survivors.md: equivalent ones with
their reason, the others marked "to kill".
Exit status 1 when a module that was run scores below the target.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90
MUTMUT = [sys.executable, "-m", "mutmut"]
SURVIVORS_FILE = ROOT / "docs" / "mutation-survivors.md"
RESULT_FILE = ROOT / "docs" / "mutation.md"
RESULT_START, RESULT_END = "<!-- mutation result -->", "<!-- end of mutation result -->"

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # killed, pytest error, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_RUN = {None, 2, 34}  # not checked yet, interrupted, skipped


@dataclass
class Score:
    module: str
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    not_run: int = 0
    other: list[str] = field(default_factory=list)  # suspicious, segfault

    @property
    def total(self) -> int:
        return self.killed + len(self.survived) + len(self.no_tests) + len(self.other)

    def score(self, equivalent: dict[str, str] | None = None) -> float | None:
        excluded = sum(1 for name in self.survived + self.no_tests if name in (equivalent or {}))
        counted = self.total - excluded
        return self.killed / counted if counted else None


def settings() -> tuple[dict[str, list[str]], dict[str, str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["wirlearn"]["mutation"]
    return data["modules"], data.get("equivalent", {})


def dotted(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def pending(module: str) -> list[str] | None:
    """The mutants of ``module`` still to run: all but those already killed (a killed mutant stays
    killed when tests are added); None when mutmut has not generated them yet or the module has
    changed since (then its mutant names are not known before mutmut runs)."""
    meta = ROOT / "mutants" / f"{module}.meta"
    if not meta.exists() or meta.stat().st_mtime < (ROOT / module).stat().st_mtime:
        return None  # not generated yet, or the module changed since: mutmut generates them afresh
    return [name for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items() if code not in KILLED]


def function_of(name: str) -> str:
    """``wirlearn.x.services.x_save__mutmut_3`` → ``save``; a method ``xǁClassǁpage_key__mutmut_5`` → ``page_key``."""
    return name.rpartition(".")[2].rpartition("__mutmut_")[0].removeprefix("x_").rpartition("ǁ")[2]


def run_module(module: str, tests: list[str], max_children: int, *, fresh: bool, only: list[str] | None = None) -> int:
    """One mutmut run over one module with its own tests; returns mutmut's exit status. With
    ``only`` (function names), just the mutants of those functions."""
    names = None if fresh else pending(module)
    if only:
        if names is None:
            names = [f"{dotted(module)}.{prefix}{function}__mutmut_*" for function in only for prefix in ("x_", "x*ǁ")]
        else:
            names = [name for name in names if function_of(name) in only]
    if names == []:
        print(f"== {module}: every mutant already killed (--fresh runs them again)", flush=True)
        return 0
    env = dict(os.environ, WIRLEARN_MUTATION_TESTS=",".join(tests), PYTHONDONTWRITEBYTECODE="1")
    # The test-to-function map depends on the selected tests: rebuild it for every module.
    (ROOT / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    log = ROOT / "mutants" / f"{dotted(module)}.log"
    log.parent.mkdir(exist_ok=True)
    print(f"== {module}: {', '.join(tests)}  (log: {log.relative_to(ROOT)})", flush=True)
    with log.open("w") as out:
        command = [*MUTMUT, "run", "--max-children", str(max_children), *(names or [f"{dotted(module)}.*"])]
        return subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def results(module: str) -> Score:
    score = Score(module)
    meta = ROOT / "mutants" / f"{module}.meta"
    if not meta.exists():
        return score
    for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
        if code in KILLED:
            score.killed += 1
        elif code in SURVIVED:
            score.survived.append(name)
        elif code in NO_TESTS:
            score.no_tests.append(name)
        elif code in NOT_RUN:
            score.not_run += 1
        else:
            score.other.append(name)
    return score


def diff(name: str) -> str:
    shown = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    lines = [line for line in shown.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    return "\n".join(lines)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


EARLIER = " (earlier run)"


def row(s: Score, equivalent: dict[str, str]) -> str:
    return (
        f"| `{s.module}` | {s.total} | {s.killed} | {len(s.survived)} | {len(s.no_tests)} | {s.not_run} "
        f"| {percent(s.score())} | {percent(s.score(equivalent))} |"
    )


def kept_rows(text: str) -> dict[str, str]:
    """The rows of the table in ``text`` by module, each marked as from an earlier run."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            module = line.split("`")[1]
            cells = line.split(" | ", 1)
            rows[module] = line if EARLIER in cells[0] else f"{cells[0]}{EARLIER} | {cells[1]}"
    return rows


def table(scores: list[Score], equivalent: dict[str, str], earlier: dict[str, str] | None = None) -> str:
    """One row per module; a module with no results in this ``mutants/`` keeps its row from
    ``earlier`` (marked "(earlier run)"), so runs in separate copies add up to one table."""
    rows = [
        "| module | mutants | killed | survived | no test | not run | score | without equivalents |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        rows.append(row(s, equivalent) if s.total or s.module not in (earlier or {}) else (earlier or {})[s.module])
    return "\n".join(rows)


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def written_rows() -> dict[str, str]:
    """The rows of the table now in docs/mutation.md (kept for modules not run in this copy)."""
    text = RESULT_FILE.read_text("utf-8")
    return kept_rows(text[text.index(RESULT_START) : text.index(RESULT_END)])


def write_result(rows: str) -> None:
    """The table between the result markers of docs/mutation.md, with the date and commit."""
    text = RESULT_FILE.read_text("utf-8")
    start, end = text.index(RESULT_START) + len(RESULT_START), text.index(RESULT_END)
    block = f"\n{datetime.date.today().isoformat()}, commit `{commit()}`:\n\n{rows}\n"
    RESULT_FILE.write_text(text[:start] + block + text[end:], "utf-8")


def kept_sections(text: str) -> dict[str, list[str]]:
    """The sections of an earlier survivors file by module ("## `module` — ...")."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## `"):
            current = line.split("`")[1]
            sections[current] = []
        if current is not None:
            sections[current].append(line)
    return sections


def write_survivors(scores: list[Score], equivalent: dict[str, str]) -> None:
    earlier = kept_sections(SURVIVORS_FILE.read_text("utf-8")) if SURVIVORS_FILE.exists() else {}
    lines = [
        "# Mutation survivors",
        "",
        f"Written by `make mutation` ({datetime.date.today().isoformat()}, commit `{commit()}`). A survivor is a",
        "change to the code that no selected test noticed. Each one is either equivalent (the program",
        "behaves the same; the reason is in `[tool.wirlearn.mutation.equivalent]` in pyproject.toml) or",
        "a missing test. `mutmut show NAME` shows the change. A module not run in this copy keeps its",
        "section from the run before.",
    ]
    for s in scores:
        if not s.total:
            if s.module in earlier:
                lines += ["", *earlier[s.module]]
            continue
        lines += ["", f"## `{s.module}` — {percent(s.score())} killed", ""]
        survivors = s.survived + s.no_tests + s.other
        if not survivors:
            lines.append("No survivors.")
            continue
        for name in survivors:
            kind = "no test reaches it" if name in s.no_tests else "survived"
            reason = equivalent.get(name)
            label = f"equivalent: {reason}" if reason else f"**to kill** ({kind})"
            lines += [f"- `{name.rpartition('.')[2]}` — {label}", "", "  ```diff"]
            lines += [f"  {line}" for line in diff(name).splitlines()]
            lines += ["  ```", ""]
    SURVIVORS_FILE.write_text("\n".join(line.rstrip() for line in lines).rstrip() + "\n", "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="paths as in [tool.wirlearn.mutation.modules]; default all")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutants (default 1)")
    parser.add_argument("--report", action="store_true", help="only report the results already in mutants/")
    parser.add_argument("--fresh", action="store_true", help="run every mutant again, the killed ones too")
    parser.add_argument("--only", default="", help="comma-separated function names: only their mutants")
    args = parser.parse_args()

    modules, equivalent = settings()
    unknown = [m for m in args.modules if m not in modules]
    if unknown:
        parser.error(f"not in [tool.wirlearn.mutation.modules]: {', '.join(unknown)}")
    selected = args.modules or list(modules)

    if not args.report:
        for module in selected:
            only = [name for name in args.only.split(",") if name]
            status = run_module(module, modules[module], args.max_children, fresh=args.fresh, only=only)
            if status:
                print(f"   mutmut exited with {status}; see the log", flush=True)

    scores = [results(module) for module in modules]
    rows = table(scores, equivalent, written_rows())
    print(rows)
    write_survivors(scores, equivalent)
    write_result(rows)
    print(f"\nsurvivors: {SURVIVORS_FILE.relative_to(ROOT)}")
    below = [s.module for s in scores if s.module in selected and s.total and (s.score(equivalent) or 0) < TARGET]
    if below:
        print(f"below {TARGET:.0%}: {', '.join(below)}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
