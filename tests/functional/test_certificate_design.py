"""The programme office designs a series' certificate (programme line, logos, signatories or the
sentence for certificates without signature), previews it, and prints all certificates of a
series for the handover. Uploads are checked by content; bad ones store nothing."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from tests.certificate_support import app_settings, enrollment_id, make_eligible, png_bytes, signing_key_dir  # noqa: F401
from wirlearn.audit.models import AuditEvent
from wirlearn.certificates import design, services
from wirlearn.certificates.models import CertificateDesign, DesignImage
from wirlearn.extensions import db

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def url(series_id: int, tail: str = "gestaltung") -> str:
    return f"/verwaltung/reihen/{series_id}/zertifikate/{tail}"


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def form(**extra) -> dict:
    data = {"programme_line": "Landesprogramm WIR", "signature_mode": "signatories"}
    data |= {
        "name_1": "Dr. Maria Beispiel",
        "function_1": "Staatssekretärin",
        "name_2": "Jan Muster",
        "function_2": "Leitung, imap-Institut",
    }
    return data | extra


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_images(data: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return len([line for line in listing.splitlines()[2:] if " image " in line])


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(DesignImage)),
            db.session.scalar(select(func.count()).select_from(CertificateDesign)),
        )


@needs_poppler
def test_design_with_two_logos_and_two_signatories_shows_in_preview_and_issued_pdf(
    app, client, login, admin, programme, coordinator, tmp_path
):
    series = programme["main"]
    login(client, admin)
    assert client.get(url(series.id)).status_code == 200
    response = client.post(
        url(series.id),
        data=form(
            logos=[upload(png_bytes(300, 100), "land.png"), upload(png_bytes(200, 100, (200, 30, 30), "JPEG"), "imap.jpg")],
            signature_1=upload(png_bytes(400, 120, (20, 20, 80)), "unterschrift.png"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(CertificateDesign, series.id)
        assert len(saved.logo_ids) == 2 and saved.signatories[0]["signature_id"] and saved.signatories[1]["signature_id"] is None
        assert db.session.get(DesignImage, saved.logo_ids[1]).mime_type == "image/jpeg"
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "certificate.design_saved"

    preview = client.get(url(series.id, "vorschau.pdf"))
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = pdf_text(preview.data, tmp_path)
    for expected in ("MUSTER", "LANDESPROGRAMM WIR", "Zertifikat", "Dr. Maria Beispiel", "Staatssekretärin", "Jan Muster"):
        assert expected in text, expected
    assert pdf_images(preview.data, tmp_path) == 3  # two logos and one signature (the QR code is drawn as vectors)

    make_eligible(app, series, coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, coordinator)).code
        db.session.commit()
        certificate = services.certificate_by_code(code)
        assert certificate.snapshot["design"]["signatories"][0]["name"] == "Dr. Maria Beispiel"
        issued_text = pdf_text(services.pdf_bytes(certificate), tmp_path)
    assert "LANDESPROGRAMM WIR" in issued_text and "MUSTER" not in issued_text and "Ayşe Yılmaz" in issued_text

    # A later change of the design leaves the issued certificate as it was.
    client.post(url(series.id), data=form(signature_mode="electronic", name_1="", function_1="", name_2="", function_2=""))
    with app.app_context():
        certificate = services.certificate_by_code(code)
        assert certificate.snapshot["design"]["signature_mode"] == "signatories"
        assert "Dr. Maria Beispiel" in pdf_text(services.pdf_bytes(certificate), tmp_path)
        assert db.session.get(CertificateDesign, series.id).signature_mode == "electronic"
    assert design.ELECTRONIC_SENTENCE in pdf_text(client.get(url(series.id, "vorschau.pdf")).data, tmp_path).replace("\n", " ")


def _big_png() -> bytes:
    import os

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("files", "fields", "message"),
    [
        ({"logos": [("text", "logo.png")]}, {}, "Bitte laden Sie ein PNG- oder JPEG-Bild hoch."),
        ({"logos": [("gif", "logo.gif")]}, {}, "Bitte laden Sie ein PNG- oder JPEG-Bild hoch."),
        ({"logos": [("wide", "logo.png")]}, {}, "höchstens 4000 Pixel"),
        ({"logos": [("png", "a.png"), ("png", "b.png"), ("png", "c.png"), ("png", "d.png")]}, {}, "höchstens 3 Logos"),
        ({"signature_1": ("text", "sig.png")}, {}, "Unterschrift 1: Bitte laden Sie ein PNG- oder JPEG-Bild hoch."),
        ({}, {"function_2": ""}, "Unterzeichnende 2: Bitte geben Sie Name und Funktion an."),
        ({}, {"name_1": "", "function_1": "", "name_2": "", "function_2": ""}, "mindestens eine Person"),
        ({}, {"signature_mode": "forged"}, "Unterzeichnung: Keine gültige Auswahl."),
        ({}, {"programme_line": "x" * 201}, "Höchstens 200 Zeichen"),
    ],
)
def test_bad_input_gets_a_german_message_and_stores_nothing(app, client, login, admin, programme, files, fields, message):
    samples = {
        "text": b"Das ist kein Bild, nur Text mit Endung .png",
        "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
        "wide": png_bytes(4001, 2),
        "png": png_bytes(),
    }

    def material(kind):
        return samples[kind]

    data = form(**fields)
    for name, value in files.items():
        data[name] = (
            [upload(material(kind), filename) for kind, filename in value]
            if isinstance(value, list)
            else upload(material(value[0]), value[1])
        )
    login(client, admin)
    before = counts(app)
    response = client.post(url(programme["main"].id), data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    response.close()  # ends the request: its spooled upload files are closed
    assert response.status_code == 422
    assert message in page.replace("4.000", "4000"), page[-3000:]
    assert counts(app) == before


def test_check_image_refuses_more_than_one_megabyte():
    # (Through the form the same check runs; the test client would spool a body this large to
    # a temporary file it never closes, so this case is checked here directly.)
    big = _big_png()
    assert len(big) > design.MAX_IMAGE_BYTES
    with pytest.raises(design.DesignError, match="größer als 1 MB"):
        design.check_image(big, "Logo 1")


def test_check_image_accepts_png_and_jpeg_by_content_only():
    assert design.check_image(png_bytes(), "Logo").mime_type == "image/png"
    assert design.check_image(png_bytes(image_format="JPEG"), "Logo").mime_type == "image/jpeg"
    truncated = png_bytes(100, 100)[:-40]
    with pytest.raises(design.DesignError):
        design.check_image(truncated, "Logo")


@needs_poppler
def test_handover_print_file_sorted_by_region_then_name_with_cover_list(
    app, client, login, admin, factory, programme, coordinator, other_coordinator, tmp_path
):
    series = programme["main"]
    # A third person in Darmstadt whose name sorts before Ayşe's only with German collation (Ä with A).
    third = factory.user("coordinator", email="aenne@example.org", name="Änne Adler", region="Darmstadt")
    factory.enroll(series.id, third)
    people = [coordinator, other_coordinator, third]
    for person in people:
        make_eligible(app, series, person)
        with app.app_context():
            services.issue_certificate(enrollment_id(app, series, person))
            db.session.commit()
    login(client, admin)
    response = client.get(url(series.id, "uebergabe.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    cover = text.split("\f")[0]
    assert "Zertifikate zur Übergabe" in cover
    expected = ["Änne Adler", "Ayşe Yılmaz", "Đorđe Petrović"]  # Darmstadt (Ä as A), then Kassel
    positions = [cover.index(name) for name in expected]
    assert positions == sorted(positions)
    pages = text.split("\f")
    # Cover, then one page per certificate in the same order.
    assert [next(name for name in expected if name in page) for page in pages[1 : 1 + len(expected)]] == expected


def test_handover_without_certificates_says_so(client, login, admin, programme):
    login(client, admin)
    response = client.get(url(programme["main"].id, "uebergabe.pdf"), follow_redirects=True)
    assert "noch keine gültigen Zertifikate" in response.get_data(as_text=True)
