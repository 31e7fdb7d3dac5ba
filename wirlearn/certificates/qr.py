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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import itemgetter

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


# -- choosing the mask, in bulk -------------------------------------------------------------------
# qrcode tries all eight masks and scores each symbol (ISO/IEC 18004 penalty rules) module by
# module in Python; that was about 4.5 ms of every certificate. ``_QRCode`` makes the same
# symbols (tests compare them with qrcode's for hundreds of inputs, versions 1 to 40) and keeps
# qrcode's encoding and error correction: each mask is scored without building the matrix, as
# the data bits XOR the mask (one integer) gathered into row and column order (``itemgetter``)
# and counted with regular expressions and integer bit operations; the chosen mask is then
# placed along the module path precomputed per version.

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


_BITS = bytes.maketrans(b"01", b"\x00\x01")
_SEPARATOR = b"\x02"  # between lines, so that no run or pattern crosses from one to the next


@dataclass(frozen=True)
class _Trial:
    """What scoring one mask needs for a version: the symbol in test mode (format areas light,
    as qrcode scores it) is ``source`` = the masked data bits along the path, then the function
    modules, then a separator; ``lines_order`` picks the modules row by row, then column by
    column, with a separator after each line."""

    size: int
    path_length: int
    functions: bytes
    lines_order: Callable  # rows, then columns, each followed by the separator
    masks: tuple[int, ...]  # per pattern, the mask along the path as an integer (first bit first)
    inner: int  # bits of the modules with a module above and to the left of them


def _probe(version: int, error_correction: int) -> list[list[bool | None]]:
    """The matrix of ``version`` in test mode before the data is placed (None = data module)."""

    class Probe(qrcode.QRCode):
        def map_data(self, data, mask_pattern):
            pass

    probe = Probe(version=version, error_correction=error_correction)
    probe.data_cache = []
    probe.makeImpl(True, 0)
    return probe.modules


# Per version: in test mode the format and version areas are light whatever the error level.
_trials: dict[int, _Trial] = {}


def _trial(version: int, error_correction: int) -> _Trial:
    trial = _trials.get(version)
    if trial is None:
        modules = _probe(version, error_correction)
        size = len(modules)
        path = _data_path(version, modules)
        index = {cell: number for number, cell in enumerate(path)}
        functions = []
        for row in range(size):
            for column in range(size):
                if (row, column) not in index:
                    index[(row, column)] = len(path) + len(functions)
                    functions.append(bool(modules[row][column]))
        separator = len(path) + len(functions)
        lines = []
        for line in range(size):
            lines += [index[(line, column)] for column in range(size)] + [separator]
        for line in range(size):
            lines += [index[(row, line)] for row in range(size)] + [separator]
        masks = []
        for pattern in range(8):
            flip = qrcode.util.mask_func(pattern)
            masks.append(int("".join("1" if flip(row, column) else "0" for row, column in path), 2))
        inner = int("".join("1" if row and column else "0" for row in range(size) for column in range(size)), 2)
        trial = _trials[version] = _Trial(size, len(path), bytes(functions) + _SEPARATOR, itemgetter(*lines), tuple(masks), inner)
    return trial


def _score(trial: _Trial, source: bytes) -> int:
    """qrcode's ``util.lost_point`` of the matrix that ``source`` describes: rule 1 (runs of five
    or more, 3 + length - 5), rule 3 (1:1:3:1:1 with four light modules before or after, 40 each,
    overlaps included), rule 2 (2 x 2 blocks of one colour, 3 each), rule 4 (10 for every 5 % the
    dark share departs from 50 %)."""
    lines = bytes(trial.lines_order(source))
    points = 0
    for run in _RUNS_OF_FIVE.finditer(lines):
        points += run.end() - run.start() - 2
    points += 40 * len(_FINDER_LIKE.findall(lines))
    flat = lines[: trial.size * (trial.size + 1)].replace(_SEPARATOR, b"")  # the rows
    # The whole matrix as one integer, first module highest: ">> 1" lines a module up with its
    # left neighbour, ">> size" with the one above it.
    matrix = int(flat.hex()[1::2], 2)
    vertical = ~(matrix ^ (matrix >> trial.size))
    horizontal = ~(matrix ^ (matrix >> 1))
    points += 3 * (vertical & (vertical >> 1) & horizontal & trial.inner).bit_count()
    percent = float(flat.count(1)) / (trial.size**2)
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
        """qrcode's choice (the first mask with the lowest penalty), each mask scored without
        building the matrix as lists."""
        if self.data_cache is None:
            self.data_cache = qrcode.util.create_data(self.version, self.error_correction, self.data_list)
        trial = _trial(self.version, self.error_correction)
        data = self.data_cache
        bits = format(int.from_bytes(bytes(data), "big"), f"0{len(data) * 8}b") if data else ""
        bits = int(bits[: trial.path_length].ljust(trial.path_length, "0"), 2)
        best_points, best = 0, 0
        for pattern in range(8):
            masked = format(bits ^ trial.masks[pattern], f"0{trial.path_length}b").encode().translate(_BITS)
            points = _score(trial, masked + trial.functions)
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
    canvas.addLiteral(qr.operators)
    canvas.restoreState()
    return qr
