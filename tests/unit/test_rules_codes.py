"""What a visitor may type for a certificate code: the code in any case, grouped by spaces or
hyphens, up to 80 characters in all; anything longer is not a code (the same 404 as a wrong one)."""

from __future__ import annotations

from wirlearn.certificates import codes

CODE = "ABCDEFGHJKMNPQRSTUVWXYZ23456"


def padded(length: int) -> str:
    """The code with spaces between its symbols and at the end, ``length`` characters long."""
    spaced = " ".join(CODE)  # 55 characters
    return spaced + " " * (length - len(spaced))


def test_a_typed_code_of_up_to_80_characters_is_accepted():
    assert codes.normalize(padded(80)) == CODE
    assert codes.normalize(padded(79)) == CODE


def test_typed_input_longer_than_80_characters_is_not_a_code():
    assert codes.normalize(padded(81)) is None
    assert codes.normalize(padded(200)) is None
