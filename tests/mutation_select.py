"""pytest plugin for `make mutation`: limits collection to the test files of the module under test.

tools/mutation.py sets ``WIRLEARN_MUTATION_TESTS`` to the files listed for a module in
``[tool.wirlearn.mutation.modules]`` (pyproject.toml); without it this plugin does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path


def _selected() -> set[str]:
    raw = os.environ.get("WIRLEARN_MUTATION_TESTS", "")
    return {Path(item).name for item in raw.split(",") if item.strip()}


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    selected = _selected()
    if not selected or collection_path.is_dir() or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    return collection_path.name not in selected
