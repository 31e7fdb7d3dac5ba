"""Public certificate codes: random, long enough, unambiguous, forgiving on input."""

from __future__ import annotations

import math

import pytest

from wirlearn.certificates import codes


def test_code_has_at_least_128_bits_from_an_unambiguous_alphabet():
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) >= 128
    assert not set("01OIL") & set(codes.ALPHABET)
    generated = {codes.new_code() for _ in range(2000)}
    assert len(generated) == 2000
    assert all(len(code) == codes.LENGTH and set(code) <= set(codes.ALPHABET) for code in generated)
    # Every symbol turns up: the draw uses the whole alphabet, not a subset.
    assert set("".join(generated)) == set(codes.ALPHABET)


def test_printed_groups_of_four():
    code = "ABCDEFGHJKMNPQRSTUVWXYZ23456"
    assert codes.grouped(code) == "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2-3456"


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEFGHJKMNPQRSTUVWXYZ23456",
        "abcdefghjkmnpqrstuvwxyz23456",
        "abcd-efgh-jkmn-pqrs-tuvw-xyz2-3456",
        " ABCD EFGH JKMN PQRS TUVW XYZ2 3456 ",
        "AbCd–EfGh–JkMn–PqRs–TuVw–Xyz2–3456",
    ],
)
def test_input_is_case_insensitive_and_ignores_separators(typed):
    assert codes.normalize(typed) == "ABCDEFGHJKMNPQRSTUVWXYZ23456"


@pytest.mark.parametrize(
    "typed",
    [
        None,
        "",
        "ABC",
        "ABCDEFGHJKMNPQRSTUVWXYZ2345",
        "ABCDEFGHJKMNPQRSTUVWXYZ234567",
        "0BCDEFGHJKMNPQRSTUVWXYZ23456",
        "ABCDEFGHJKMNPQRSTUVWXYZ2345!",
        "x" * 500,
        "../etc/passwd",
    ],
)
def test_malformed_input_is_refused(typed):
    assert codes.normalize(typed) is None
