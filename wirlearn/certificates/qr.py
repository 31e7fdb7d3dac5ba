"""The QR code on the certificate: ``{BASE_URL}/v/{code}``, error correction M, smallest version.

qrcode picks the lowest version the data fits in (``fit=True``) and splits the text into the
most compact modes (the upper-case code travels in alphanumeric mode), so a typical URL is a
version 3 or 4 symbol. The quiet zone of four modules is part of the matrix and is drawn white.
The symbol is drawn as vector rectangles into the PDF: sharp at any print size. Choosing the
mask pattern makes a symbol cost about 15 ms in pure Python, so symbols are cached per URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4


@dataclass(frozen=True)
class QrSymbol:
    version: int
    modules: tuple[tuple[bool, ...], ...]  # rows of dark (True) / light modules, quiet zone included

    @property
    def size(self) -> int:
        return len(self.modules)


@lru_cache(maxsize=512)
def symbol(data: str) -> QrSymbol:
    """The smallest QR symbol at error correction M that holds ``data``."""
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return QrSymbol(code.version, tuple(tuple(row) for row in code.get_matrix()))


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
    operators = []
    for row_index, row in enumerate(qr.modules):
        bottom = qr.size - row_index - 1
        column = 0
        while column < qr.size:
            if row[column]:
                start = column
                while column < qr.size and row[column]:
                    column += 1
                operators.append(f"{start} {bottom} {column - start} 1 re")
            else:
                column += 1
    canvas.addLiteral("\n".join(operators) + "\nf")
    canvas.restoreState()
    return qr
