"""Downloads open correctly in German Excel and never run a cell as a formula."""

import csv
import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wirlearn.core.exports import Table, neutralise, safe_filename, table_response, to_csv, to_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+49 611 123", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_triggers_are_neutralised(text):
    assert neutralise(text) == "'" + text


# A formula character hidden behind a control character, an invisible mark or whitespace, or
# written full width (which spreadsheets read as the ASCII one), still starts a formula.
DISGUISED = [
    ("\x07=1+1", "'=1+1"),  # control characters are dropped, then the trigger shows
    ("\x00\x1b@SUM(A1)", "'@SUM(A1)"),
    ('\u200b=HYPERLINK("http://x")', '\'\u200b=HYPERLINK("http://x")'),  # zero-width space
    ("\u200e\u200f+49 611", "'\u200e\u200f+49 611"),  # direction marks
    ("\ufeff-2+3", "'\ufeff-2+3"),  # byte order mark
    ("\u2060\u00ad@x", "'\u2060\u00ad@x"),  # word joiner, soft hyphen
    (" =1+1", "' =1+1"),
    ("\u3000=1", "'\u3000=1"),  # ideographic space
    ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),  # full-width =
    ("\uff0b1", "'\uff0b1"),  # full-width +
    ("\uff0d1", "'\uff0d1"),  # full-width -
    ("\uff20cmd", "'\uff20cmd"),  # full-width @
    ("\ufe66cmd", "'\ufe66cmd"),  # small equals sign
    ("\u2212 3", "'\u2212 3"),  # minus sign
    ("\x85\x9b=1", "'=1"),  # C1 control characters
]


@pytest.mark.parametrize(("text", "expected"), DISGUISED)
def test_disguised_formula_triggers_are_neutralised(text, expected):
    assert neutralise(text) == expected


def test_control_characters_inside_text_are_dropped_but_line_breaks_stay():
    assert neutralise("Zeile 1\nZeile\x07 2\x1b") == "Zeile 1\nZeile 2"


@pytest.mark.parametrize("text", ["Ayşe Yılmaz", "Müller-Lüdenscheidt", "a=b", "", "1+1", "\u200fعلي", "ｗｉｒ"])
def test_ordinary_text_is_unchanged(text):
    assert neutralise(text) == text


@pytest.mark.parametrize(("text", "expected"), DISGUISED)
def test_disguised_triggers_never_reach_a_spreadsheet_as_formula(text, expected):
    table = Table(title="t", headers=["x"], rows=[[text]])
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == [expected]
    cell = load_workbook(io.BytesIO(to_xlsx(table))).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("'")


def sample() -> Table:
    return Table(
        title="Anwesenheit: Reihe/1",
        headers=["Name", "Datum", "Punkte", "Beginn", "Aktiv", "Notiz"],
        rows=[
            ["Ayşe Yılmaz", date(2026, 11, 25), Decimal("72.50"), time(9, 30), True, "=1+1"],
            ['Đorđe Petrović; "Gast"', datetime(2026, 11, 25, 14, 5), 60, None, False, "@cmd\x07"],
            ["Nguyễn Thị Hương", None, Decimal("-3"), time(16, 0), None, "-leer"],
        ],
    )


def test_csv_is_semicolon_utf8_with_bom_for_german_excel():
    data = to_csv(sample())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Name", "Datum", "Punkte", "Beginn", "Aktiv", "Notiz"]
    assert rows[1] == ["Ayşe Yılmaz", "25.11.2026", "72,5", "09:30", "ja", "'=1+1"]
    assert rows[2][0] == 'Đorđe Petrović; "Gast"'  # quoted, so the semicolon stays inside the cell
    assert rows[2][1:3] == ["25.11.2026 14:05", "60"]
    assert rows[2][5] == "'@cmd"
    assert rows[3][1:3] == ["", "-3"]  # numbers stay numbers: a typed negative number is no formula
    assert rows[3][5] == "'-leer"


def test_xlsx_keeps_types_and_never_stores_a_formula():
    workbook = load_workbook(io.BytesIO(to_xlsx(sample())))
    sheet = workbook.active
    assert sheet.title == "Anwesenheit  Reihe 1"
    assert [cell.value for cell in sheet[1]] == ["Name", "Datum", "Punkte", "Beginn", "Aktiv", "Notiz"]
    assert sheet["A2"].value == "Ayşe Yılmaz"
    assert sheet["B2"].value == datetime(2026, 11, 25)
    assert sheet["B2"].number_format == "DD.MM.YYYY"
    assert sheet["C2"].value == 72.5
    assert sheet["E2"].value is True
    assert sheet["F2"].value == "'=1+1"
    assert sheet["F3"].value == "'@cmd"  # control character XML cannot hold is dropped
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    assert sheet.freeze_panes == "A2"


def test_table_response_sets_type_and_ascii_filename(app):
    with app.test_request_context():
        response = table_response(sample(), "csv", "Anwesenheit Größe/Reihe")
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == 'attachment; filename="Anwesenheit-Groesse-Reihe.csv"'
        response = table_response(sample(), "xlsx", "x")
        assert response.mimetype.endswith("spreadsheetml.sheet")
        with pytest.raises(ValueError):
            table_response(sample(), "pdf", "x")


def test_safe_filename_has_a_fallback():
    assert safe_filename("///") == "export"
