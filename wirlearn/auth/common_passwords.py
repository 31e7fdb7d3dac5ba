"""A bundled list of passwords that are too common to allow (no network needed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LIST_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    lines = LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    return password.strip().lower() in _common()
