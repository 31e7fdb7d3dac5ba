"""`make mutation` adds up runs made in separate copies: a module with no results in this copy
keeps its row (and survivors section) from the run before, marked as such; a module run here
gets its fresh figures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location("mutation_tool", Path(__file__).resolve().parents[2] / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = mutation  # dataclasses look their module up there
spec.loader.exec_module(mutation)

EARLIER_TABLE = """
| module | mutants | killed | survived | no test | not run | score | without equivalents |
|---|---:|---:|---:|---:|---:|---:|---:|
| `wirlearn/a.py` | 10 | 9 | 1 | 0 | 0 | 90.0 % | 100.0 % |
| `wirlearn/b.py` (earlier run) | 4 | 4 | 0 | 0 | 0 | 100.0 % | 100.0 % |
"""


def test_a_module_not_run_here_keeps_its_earlier_row_marked_once():
    earlier = mutation.kept_rows(EARLIER_TABLE)
    fresh = mutation.Score("wirlearn/a.py", killed=3, survived=["wirlearn.a.x_f__mutmut_1"])
    rows = mutation.table([fresh, mutation.Score("wirlearn/b.py"), mutation.Score("wirlearn/c.py")], {}, earlier).splitlines()
    assert rows[2] == "| `wirlearn/a.py` | 4 | 3 | 1 | 0 | 0 | 75.0 % | 75.0 % |"
    assert rows[3] == "| `wirlearn/b.py` (earlier run) | 4 | 4 | 0 | 0 | 0 | 100.0 % | 100.0 % |"
    assert rows[4] == "| `wirlearn/c.py` | 0 | 0 | 0 | 0 | 0 | – | – |"
    assert mutation.kept_rows(EARLIER_TABLE)["wirlearn/a.py"].startswith("| `wirlearn/a.py` (earlier run) | 10 |")


def test_a_listed_equivalent_counts_only_in_the_second_score():
    score = mutation.Score("wirlearn/a.py", killed=8, survived=["m1", "m2"])
    assert (score.score(), score.score({"m1": "why"})) == (0.8, 8 / 9)


def test_survivor_sections_of_an_earlier_file_are_found_by_module():
    text = "# Mutation survivors\n\nintro\n\n## `wirlearn/a.py` — 90.0 % killed\n\n- `x` — equivalent: y\n\n## `wirlearn/b.py` — 100.0 % killed\n\nNo survivors.\n"
    sections = mutation.kept_sections(text)
    assert list(sections) == ["wirlearn/a.py", "wirlearn/b.py"]
    assert sections["wirlearn/b.py"] == ["## `wirlearn/b.py` — 100.0 % killed", "", "No survivors."]
    assert "- `x` — equivalent: y" in sections["wirlearn/a.py"]


def test_a_function_name_is_read_from_any_mutant_name():
    assert mutation.function_of("wirlearn.attendance.services.x_load_roster__mutmut_3") == "load_roster"
    assert mutation.function_of("wirlearn.verify.services.xǁVerificationǁpage_key__mutmut_5") == "page_key"
    assert mutation.function_of("wirlearn.auth.limits.x__limits__mutmut_30") == "_limits"
