"""The printed certificate's finishing: real metadata (creation date = issue date, author = the
issuer), no unembedded font, no lone last word in title lines, the design's signatories or the
sentence for certificates without signature."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from wirlearn.certificates import design, pdf

SNAPSHOT = {
    "holder_name": "Ayşe Yılmaz",
    "certificate_title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
    "series_title": "Interkulturelle Öffnung 2026",
    "provider": "imap-Institut",
    "issuer_name": "Hessisches Ministerium für Soziales und Integration",
    "place": "Wiesbaden",
    "start_date": "2026-02-01",
    "end_date": "2026-11-20",
    "modules": [{"title": "Grundlagen", "teaching_units": 16}, {"title": "Praxis", "teaching_units": 8}],
    "teaching_units_total": 24,
    "criteria": "Voraussetzungen: alle Pflichtmodule bestanden.",
    "issued_at": "2026-11-25T12:00:00Z",
    "awarded_at": "2026-11-25T12:00:00Z",
    "valid_until": "2029-11-25T12:00:00Z",
    "verify_url": "https://zertifikate.example/v/ABCDEFGHJKMNPQRSTUVWXYZ23456",
}
CODE = "ABCDEFGHJKMNPQRSTUVWXYZ23456"


def with_design(**values) -> dict:
    return SNAPSHOT | {"design": {"programme_line": "Landesprogramm WIR", "logo_ids": [], "signatories": []} | values}


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler-utils")
def test_metadata_carries_issuer_issue_date_and_no_unembedded_font(tmp_path):
    data = pdf.render(with_design(signature_mode="electronic"), CODE)
    assert b"/CreationDate (D:20261125120000+00'00')" in data and b"/ModDate (D:20261125120000+00'00')" in data
    path = tmp_path / "z.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", info, re.M))
    assert fields["Title"] == "Change-Manager/in in Willkommens- und Anerkennungskultur – Ayşe Yılmaz"
    assert fields["Author"] == "Hessisches Ministerium für Soziales und Integration"
    assert fields["Subject"] == "Zertifikat: Interkulturelle Öffnung 2026"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line and "FiraSans" in line for line in fonts), fonts


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize(
    ("values", "present", "absent"),
    [
        (
            {"signature_mode": "signatories", "signatories": [{"name": "Dr. Maria Beispiel", "function": "Staatssekretärin"}]},
            ["Dr. Maria Beispiel", "Staatssekretärin", "LANDESPROGRAMM WIR", "Gültig bis 25.11.2029"],
            [design.ELECTRONIC_SENTENCE, "Für imap-Institut"],
        ),
        (
            {"signature_mode": "electronic"},
            [design.ELECTRONIC_SENTENCE],
            ["Für imap-Institut", "Dr. Maria Beispiel"],
        ),
    ],
)
def test_signature_block_follows_the_design(tmp_path, values, present, absent):
    path = tmp_path / "z.pdf"
    path.write_bytes(pdf.render(with_design(**values), CODE))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert text.count("Zertifikat") >= 1 and "Ayşe Yılmaz" in text
    for expected in present:
        assert expected in text, expected
    for unexpected in absent:
        assert unexpected not in text, unexpected


def test_no_lone_last_word():
    assert pdf.no_widow("„Interkulturelle Öffnung 2026“") == "„Interkulturelle Öffnung\u00a02026“"
    assert pdf.no_widow("Einwort") == "Einwort"


def test_reissued_copy_names_award_and_issue_dates(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils")
    path = tmp_path / "z.pdf"
    path.write_bytes(pdf.render(SNAPSHOT | {"issued_at": "2027-03-01T09:00:00Z"}, CODE))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Verliehen am 25.11.2026, neu ausgestellt am 01.03.2027." in text
    assert "Wiesbaden, 25.11.2026" in text  # place and date: the award date
