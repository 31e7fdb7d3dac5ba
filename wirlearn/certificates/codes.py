"""Public certificate codes: random, short enough to type from paper, unambiguous.

A code is 28 symbols from a 31-letter alphabet without 0/O and 1/I/L, drawn with ``secrets``
(28 × log2(31) ≈ 138.7 bits), never derived from a database id. It is stored and put in URLs
without separators and in upper case; it is printed in groups of four. Input is accepted in any
case, with spaces or hyphens between the groups.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 28
GROUP = 4
_SEPARATORS = re.compile(r"[\s\-–]+")
_VALID = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


def new_code() -> str:
    """A fresh random code in stored form."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str | None) -> str | None:
    """The stored form of what someone typed or scanned, or None when it cannot be a code.

    Unknown and malformed codes must look the same to the visitor; callers answer both with
    the same 404."""
    if not raw or len(raw) > 80:
        return None
    candidate = _SEPARATORS.sub("", raw).upper()
    return candidate if _VALID.fullmatch(candidate) else None


def grouped(code: str) -> str:
    """The printed form: ``ABCD-EFGH-…``."""
    return "-".join(code[index : index + GROUP] for index in range(0, len(code), GROUP))
