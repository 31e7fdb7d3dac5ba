"""One German sort order for people and places, everywhere they are listed.

Databases sort names by code point (SQLite) or by the server's collation (PostgreSQL), so
"Đorđe" landed after "Zoë" in one list and after "Ayşe" in another. Lists, the roll call,
exports and PDFs sort with ``sort_key`` instead: letters with accents sort with their base letter
(DIN 5007-1, the order of German dictionaries: "Ä" as "A", "ß" as "ss"), letters that Unicode does
not decompose are mapped by hand (Đ, Ł, Ø, ı, Æ, Œ, Þ), case is ignored; the original text breaks
ties so the order is total and stable.

PyICU would give the full Unicode Collation Algorithm, but it is a large native dependency for
names from a few alphabets; this key is pure Python and cheap enough to sort thousands of names
per request. Pages that page through the database (the people list in the administration) keep an
SQL ORDER BY on the name: there the database's order decides which rows come on which page.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Letters NFKD does not split into base letter + accent.
_FOLD = str.maketrans(
    {
        "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
        "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H",
    }
)  # fmt: skip


def sort_key(text: str | None) -> tuple[str, str]:
    """The German sort key of a person's or a place's name (``None`` sorts like "")."""
    text = text or ""
    base = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(char for char in base if not unicodedata.combining(char)).casefold(), text


def sorted_by_name(items: Iterable[T], name: Callable[[T], str | None]) -> list[T]:
    """``items`` in German order of ``name(item)``."""
    return sorted(items, key=lambda item: sort_key(name(item)))
