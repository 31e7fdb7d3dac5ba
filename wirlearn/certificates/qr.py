"""The QR code on the certificate: ``{BASE_URL}/v/{code}``, error correction M, smallest version.

qrcode picks the lowest version the data fits in (``fit=True``) and splits the text into the
most compact modes (the upper-case code travels in alphanumeric mode), so a typical URL is a
version 3 or 4 symbol. The quiet zone of four modules is part of the matrix and is drawn white.
The symbol is drawn as vector rectangles into the PDF: sharp at any print size. Choosing the
mask pattern makes a symbol cost a few milliseconds in pure Python, so the last few symbols are
cached per URL (a certificate downloaded twice); each is kept as one integer per row, about 2 KiB,
so the cache stays small however many certificates a batch issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4


CACHE_SIZE = 64
_RUN = re.compile("1+")


@dataclass(frozen=True)
class QrSymbol:
    version: int
    rows: tuple[int, ...]  # one int per row, quiet zone included: bit c set = column c is dark

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def modules(self) -> tuple[tuple[bool, ...], ...]:
        """Rows of dark (True) / light modules, quiet zone included."""
        return tuple(tuple(bool(row >> column & 1) for column in range(self.size)) for row in self.rows)

    @cached_property
    def operators(self) -> str:
        """The dark modules as PDF rectangles in module units (row 0 at the top), one path."""
        operators = []
        for row_index in range(self.size):
            bottom = self.size - row_index - 1
            operators.extend(f"{start} {bottom} {length} 1 re" for start, length in self.runs(row_index))
        return "\n".join(operators) + "\nf"

    def runs(self, row_index: int) -> Iterator[tuple[int, int]]:
        """(first column, length) of each run of dark modules in a row."""
        # Column 0 is the lowest bit: reversed, the string reads left to right.
        text = format(self.rows[row_index], f"0{self.size}b")[::-1]
        for match in _RUN.finditer(text):
            yield match.start(), match.end() - match.start()


def _row_bits(row) -> int:
    return sum(1 << column for column, dark in enumerate(row) if dark)


@lru_cache(maxsize=CACHE_SIZE)
def symbol(data: str) -> QrSymbol:
    """The smallest QR symbol at error correction M that holds ``data``."""
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return QrSymbol(code.version, tuple(_row_bits(row) for row in code.get_matrix()))


def fits(data: str, version: int) -> bool:
    """Whether ``data`` fits a symbol of ``version`` at error correction M (for tests and docs)."""
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    try:
        code.make(fit=False)
    except qrcode.exceptions.DataOverflowError:
        return False
    return True


def draw(canvas, data: str, x: float, y: float, size: float) -> QrSymbol:
    """Draw the symbol for ``data`` with its lower left corner at (x, y), ``size`` points wide
    (quiet zone included) on a reportlab canvas."""
    qr = symbol(data)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / qr.size, size / qr.size)
    # In module units every coordinate is a small integer: one path of row runs, written as
    # PDF operators directly (thousands of float conversions per page otherwise).
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(0, 0, qr.size, qr.size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(qr.operators)
    canvas.restoreState()
    return qr
