"""What a person sees when they open a download in German Excel or LibreOffice: numbers in
German notation, readable sheet names and columns, and headers that cannot run as formulas."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wirlearn.core.exports import Table, neutralise, safe_filename, table_response, to_csv, to_xlsx


def csv_rows(table: Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig")), delimiter=";"))


def sheet_of(table: Table):
    return load_workbook(io.BytesIO(to_xlsx(table))).active


def test_csv_numbers_use_a_decimal_comma_without_trailing_zeros():
    values = [Decimal("1.50"), Decimal("100"), Decimal("0.25"), 12.0, 0.5, 2.75, Decimal("-3.10"), 40, Decimal("1E+2")]
    expected = ["1,5", "100", "0,25", "12", "0,5", "2,75", "-3,1", "40", "100"]
    assert csv_rows(Table("t", ["n"] * len(values), [values]))[1] == expected


def test_csv_yes_no_and_empty_cells():
    assert csv_rows(Table("t", ["a", "b", "c"], [[True, False, None]]))[1] == ["ja", "nein", ""]


def test_csv_times_and_moments_in_german_notation():
    row = [datetime(2026, 1, 2, 3, 4), time(7, 5)]
    assert csv_rows(Table("t", ["a", "b"], [row]))[1] == ["02.01.2026 03:04", "07:05"]


def test_headers_cannot_run_as_formulas_either():
    table = Table("t", ["=Name", "@Notiz"], [])
    assert csv_rows(table)[0] == ["'=Name", "'@Notiz"]
    assert [cell.value for cell in sheet_of(table)[1]] == ["'=Name", "'@Notiz"]


def test_text_of_only_spaces_or_invisible_marks_stays_as_it_is():
    for text in ("   ", "\u200b", ""):
        assert neutralise(text) == text


def test_sheet_name_is_readable_at_most_31_characters_and_never_empty():
    assert sheet_of(Table("Anwesenheit: Reihe [1]/2*?", ["a"])).title == "Anwesenheit  Reihe  1  2  "
    assert sheet_of(Table("Eine sehr lange Qualifizierungsreihe 2026", ["a"])).title == "Eine sehr lange Qualifizierungs"
    assert sheet_of(Table("", ["a"])).title == "Export"


def test_xlsx_header_row_is_bold_and_stays_visible_when_scrolling():
    sheet = sheet_of(Table("t", ["Name", "Datum"], [["Ayşe", None]]))
    assert [cell.font.b for cell in sheet[1]] == [True, True]
    assert [cell.font.b for cell in sheet[2]] == [False, False]
    assert sheet.freeze_panes == "A2"


def test_xlsx_moments_and_times_are_shown_in_german_notation():
    sheet = sheet_of(Table("t", ["a", "b"], [[datetime(2026, 1, 2, 3, 4), time(7, 5)]]))
    assert (sheet["A2"].number_format, sheet["B2"].number_format) == ("DD.MM.YYYY HH:MM", "HH:MM")
    assert sheet["A2"].value == datetime(2026, 1, 2, 3, 4)


def test_xlsx_columns_fit_their_longest_value_within_limits():
    long_note = "x" * 100
    rows = [["Ayşe Yılmaz", "kurz", long_note, None], ["Đorđe Petrović-Lüdenscheidt", "", "", 7]]
    sheet = sheet_of(Table("t", ["Name", "Nr", "Notiz", "Punkte"], rows))
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    # The longest value plus 2, at least 8, never wider than 60 characters plus 2.
    assert widths == [len("Đorđe Petrović-Lüdenscheidt") + 2, 8, 62, 8]


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    sheet = sheet_of(Table("t", ["a"], [["Zeile\x01 eins\x0b"]]))
    assert sheet["A2"].value == "Zeile eins"


def test_download_names_are_plain_ascii_with_umlauts_spelled_out():
    assert safe_filename("Übersicht Ärzte Öffnung Größe") == "Uebersicht-Aerzte-Oeffnung-Groesse"
    assert safe_filename("Mädchen Tür Straße") == "Maedchen-Tuer-Strasse"
    assert safe_filename("Xaver Liste X") == "Xaver-Liste-X"
    assert safe_filename("..Liste..") == "Liste"
    assert safe_filename("-Liste-") == "Liste"


def test_a_download_carries_the_whole_table(app):
    table = Table("Anwesenheit", ["Name", "Datum"], [["Ayşe Yılmaz", None]])
    with app.test_request_context():
        csv_download = table_response(table, "csv", "Liste")
        xlsx_download = table_response(table, "xlsx", "Liste")
    assert csv_download.get_data() == to_csv(table)
    assert load_workbook(io.BytesIO(xlsx_download.get_data())).active["A2"].value == "Ayşe Yılmaz"
    assert xlsx_download.headers["Content-Disposition"] == 'attachment; filename="Liste.xlsx"'


def test_an_unknown_download_format_names_itself_in_the_error(app):
    with app.test_request_context(), pytest.raises(ValueError, match="unknown export format: ods"):
        table_response(Table("t", ["a"]), "ods", "x")


def test_a_character_that_spreadsheets_read_as_two_equals_signs_is_still_a_formula():
    # U+2A75 TWO CONSECUTIVE EQUALS SIGNS is "==" in compatibility form: its first sign counts.
    assert neutralise("\u2a75SUM(A1)") == "'\u2a75SUM(A1)"


def test_rows_shorter_than_the_header_still_download():
    table = Table("t", ["Name", "Datum", "Notiz"], [["Ayşe", datetime(2026, 1, 2, 3, 4)], ["Đorđe"]])
    sheet = sheet_of(table)
    assert [cell.value for cell in sheet[3]] == ["Đorđe", None, None]
    assert sheet["B2"].number_format == "DD.MM.YYYY HH:MM"
    assert csv_rows(table)[2] == ["Đorđe"]
