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
from functools import lru_cache

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

    def runs(self, row_index: int) -> Iterator[tuple[int, int]]:
        """(first column, length) of each run of dark modules in a row."""
        # Column 0 is the lowest bit: reversed, the string reads left to right.
        text = format(self.rows[row_index], f"0{self.size}b")[::-1]
        for match in _RUN.finditer(text):
            yield match.start(), match.end() - match.start()


def _row_bits(row) -> int:
    return sum(1 << column for column, dark in enumerate(row) if dark)


# -- choosing the mask, in bulk -------------------------------------------------------------------
# qrcode tries all eight masks and scores each symbol (ISO/IEC 18004 penalty rules) module by
# module in Python; that was about 4.5 ms of every certificate. ``_QRCode`` makes the same
# symbols (tests compare them with qrcode's for thousands of URLs) with the two hot spots done in
# bulk: the data modules are placed along a precomputed path, and the penalty is counted on byte
# strings and integers.

_RUNS_OF_FIVE = re.compile(rb"\x00{5,}|\x01{5,}")
_FINDER_LIKE = re.compile(rb"(?=\x01\x00\x01\x01\x01\x00\x01\x00\x00\x00\x00|\x00\x00\x00\x00\x01\x00\x01\x01\x01\x00\x01)")
_placement: dict[int, tuple[tuple[int, int], ...]] = {}
_masks: dict[tuple[int, int], tuple[bool, ...]] = {}


def _data_path(version: int, modules: list[list[bool | None]]) -> tuple[tuple[int, int], ...]:
    """The free modules in the order qrcode's ``map_data`` fills them (the same for every symbol
    of a version, since only the function patterns and format areas are set beforehand)."""
    path = _placement.get(version)
    if path is None:
        count = len(modules)
        cells = []
        row, step = count - 1, -1
        for column in range(count - 1, 0, -2):
            if column <= 6:
                column -= 1
            while True:
                for c in (column, column - 1):
                    if modules[row][c] is None:
                        cells.append((row, c))
                row += step
                if row < 0 or count <= row:
                    row -= step
                    step = -step
                    break
        path = _placement[version] = tuple(cells)
    return path


def _mask(version: int, pattern: int, path: tuple[tuple[int, int], ...]) -> tuple[bool, ...]:
    mask = _masks.get((version, pattern))
    if mask is None:
        flip = qrcode.util.mask_func(pattern)
        mask = _masks[(version, pattern)] = tuple(bool(flip(row, column)) for row, column in path)
    return mask


def lost_point(modules) -> int:
    """qrcode's ``util.lost_point`` (the same number for every matrix), counted in bulk."""
    count = len(modules)
    rows = [bytes(map(bool, row)) for row in modules]
    columns = [bytes(column) for column in zip(*rows, strict=True)]
    points = 0
    for line in (*rows, *columns):
        # Rule 1: five or more modules of one colour in a row: 3 + (length - 5).
        for run in _RUNS_OF_FIVE.finditer(line):
            points += run.end() - run.start() - 2
        # Rule 3: 1:1:3:1:1 with four light modules before or after, 40 each (overlaps count).
        points += 40 * len(_FINDER_LIKE.findall(line))
    # Rule 2: every 2 x 2 block of one colour, 3 each.
    bits = [int(row[::-1].hex()[1::2], 2) for row in rows]
    inner = (1 << (count - 1)) - 1
    for upper, lower in zip(bits, bits[1:], strict=False):
        same = ~(upper ^ lower)
        points += 3 * (same & (same >> 1) & ~(upper ^ (upper >> 1)) & inner).bit_count()
    # Rule 4: every 5 % the dark share departs from 50 %, 10.
    dark = sum(row.count(1) for row in rows)
    percent = float(dark) / (count**2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


class _QRCode(qrcode.QRCode):
    def map_data(self, data, mask_pattern):
        path = _data_path(self.version, self.modules)
        mask = _mask(self.version, mask_pattern, path)
        bits = format(int.from_bytes(bytes(data), "big"), f"0{len(data) * 8}b") if data else ""
        bits = bits[: len(path)].ljust(len(path), "0")
        modules = self.modules
        for (row, column), bit, flip in zip(path, bits, mask, strict=True):
            modules[row][column] = (bit == "1") is not flip

    def best_mask_pattern(self):
        best_points, best = 0, 0
        for pattern in range(8):
            self.makeImpl(True, pattern)
            points = lost_point(self.modules)
            if pattern == 0 or points < best_points:
                best_points, best = points, pattern
        return best


@lru_cache(maxsize=CACHE_SIZE)
def symbol(data: str) -> QrSymbol:
    """The smallest QR symbol at error correction M that holds ``data``."""
    code = _QRCode(version=None, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
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
    operators = []
    for row_index in range(qr.size):
        bottom = qr.size - row_index - 1
        operators.extend(f"{start} {bottom} {length} 1 re" for start, length in qr.runs(row_index))
    canvas.addLiteral("\n".join(operators) + "\nf")
    canvas.restoreState()
    return qr
