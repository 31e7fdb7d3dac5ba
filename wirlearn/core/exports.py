"""Tables as downloads: CSV for German Excel and XLSX, safe against formula injection.

Every feature that offers a download builds a ``Table`` (headers and rows of plain values) and
hands it to ``table_response``. One place decides how values are written:

- CSV: semicolon-separated, UTF-8 with BOM, CRLF line ends — German Excel opens it with
  umlauts intact and splits the columns; dates as 25.11.2026, decimals with a comma.
- XLSX (openpyxl): dates, numbers and booleans stay typed, so sorting and sums work.
- Control characters are dropped (line breaks stay). Text whose first visible character is
  ``= + - @`` — also behind whitespace or invisible marks (zero-width space, direction marks,
  byte order mark), or written full width (``＝ ＋ － ＠``, which spreadsheets read as the ASCII
  ones) — or that starts with a tab or carriage return is prefixed with an apostrophe, so a
  spreadsheet never runs a name like ``=HYPERLINK(...)`` as a formula.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import Response

FORMULA_TRIGGERS = frozenset("=+-@\u2212")  # U+2212 MINUS SIGN: some spreadsheets read it as "-"
# C0 and C1 control characters but tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Table:
    """What a download contains: a title (sheet name), column headers and rows of plain values
    (str, int, Decimal, float, bool, date, datetime, time or None)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


def _first_visible(text: str) -> str:
    """The first character a spreadsheet would look at, as it reads it (full width as ASCII)."""
    for character in text:
        if character.isspace() or unicodedata.category(character) in ("Cf", "Cc", "Zs"):
            continue
        return unicodedata.normalize("NFKC", character)[:1]
    return ""


def neutralise(value: str) -> str:
    """Text as a spreadsheet must show it: without control characters, never read as a formula."""
    text = _CONTROL.sub("", value)
    if text.startswith(("\t", "\r")) or _first_visible(text) in FORMULA_TRIGGERS:
        return "'" + text
    return text


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Decimal, float)):
        # German Excel reads "12,5" as a number; "12.5" would become a date or text.
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")
    return neutralise(str(value))


def to_csv(table: Table) -> bytes:
    """The table as semicolon CSV, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(str(header)) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, Decimal, datetime, date, time)):
        return value
    return _ILLEGAL_XML.sub("", neutralise(str(value)))


def to_xlsx(table: Table) -> bytes:
    """The table as an XLSX workbook with one sheet, a bold frozen header row and typed cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    # Sheet names: at most 31 characters, none of []:*?/\
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Export"
    sheet.append([_xlsx_value(str(header)) for header in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(header)) for header in table.headers]
    for row in table.rows:
        values = [_xlsx_value(value) for value in row]
        sheet.append(values)
        for cell, value in zip(sheet[sheet.max_row], values, strict=False):
            if isinstance(value, str):
                # A neutralised text stays text: openpyxl would otherwise store "=…" as a formula.
                cell.data_type = "s"
            elif isinstance(value, datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(value, time):
                cell.number_format = "HH:MM"
        for index, value in enumerate(values[: len(widths)]):
            widths[index] = max(widths[index], min(60, len(str(value)) if value is not None else 0))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(8, width + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_filename(name: str) -> str:
    """A file name that is plain ASCII, for the Content-Disposition header."""
    replaced = name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    replaced = replaced.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", replaced).strip("-.") or "export"


def table_response(table: Table, fmt: str, filename: str) -> Response:
    """A download of ``table`` as ``fmt`` ("csv" or "xlsx"); ``filename`` without extension."""
    if fmt == "csv":
        body, mimetype = to_csv(table), CSV_MIMETYPE + "; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = to_xlsx(table), XLSX_MIMETYPE
    else:
        raise ValueError(f"unknown export format: {fmt}")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}.{fmt}"'
    return response
