"""The bitstring of a W3C Bitstring Status List v1.0, encoded as the spec asks.

Index 0 is the leftmost bit of the first byte (the spec's "first index"); ``encodedList`` is
the GZIP of the bitstring, base64url without padding, with the multibase prefix ``u``.
Pure functions: no app, no database.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

# The spec's minimum length: 16 KB, so that a single entry says nothing about a holder.
MIN_BITS = 131_072


def bits_with(size: int, set_indices: Iterable[int]) -> bytearray:
    """A bitstring of ``size`` bits (a multiple of 8) with the given indices set to 1."""
    if size % 8:
        raise ValueError("size must be a multiple of 8")
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"index {index} outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    return bits


def encode(bits: bytes) -> str:
    """``u`` + base64url(GZIP(bits)) without padding. mtime 0: the same bits give the same text."""
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded_list: str) -> bytes:
    """The bitstring of an ``encodedList``; ValueError for anything not in that form."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise ValueError("encodedList must start with the multibase prefix 'u'")
    body = encoded_list[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return gzip.decompress(packed)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError("encodedList is not base64url-encoded GZIP") from error


def bit(bits: bytes, index: int) -> int:
    """The bit at ``index`` (0 or 1)."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(index)
    return (bits[index // 8] >> (7 - index % 8)) & 1
