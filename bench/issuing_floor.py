"""The floor for issuing: the same certificate made directly with the libraries wirlearn uses —
an RS256 signature with a 3072-bit RSA key (PyJWT), the QR code of the verification URL
(qrcode, error correction M, drawn as vectors) and a one-page A4 PDF with the embedded Fira Sans
TrueType font (reportlab) — without database, eligibility or audit.

Fonts are registered once per process and the key is loaded once, as any sensible
implementation would; everything else is done per certificate.
"""

from __future__ import annotations

import io
import secrets
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import jwt
import qrcode
from cryptography.hazmat.primitives.asymmetric import rsa
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas

FONT_DIR = Path(__file__).resolve().parent.parent / "wirlearn" / "core" / "fonts"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULES = [
    ("Grundlagen der Willkommens- und Anerkennungskultur", 16),
    ("Interkulturelle Kompetenz in der Verwaltung", 16),
    ("Rechtliche Rahmenbedingungen der Migration", 8),
    ("Change-Management in Organisationen", 24),
    ("Netzwerkarbeit und Beteiligung", 16),
    ("Antidiskriminierung und Diversität", 16),
    ("Projektmanagement kommunaler Integrationsarbeit", 8),
    ("Abschlusswerkstatt und Praxisprojekt", 16),
]
NAMES = ("Ayşe Yılmaz", "Đorđe Petrović", "Nguyễn Thị Hương", "Franziska von Bülow-Aßmann", "Kemal Şahin")

_fonts = False


def register_fonts() -> None:
    global _fonts
    if not _fonts:
        pdfmetrics.registerFont(TTFont("FloorFira", str(FONT_DIR / "FiraSans_400Regular.ttf")))
        pdfmetrics.registerFont(TTFont("FloorFira-Bold", str(FONT_DIR / "FiraSans_700Bold.ttf")))
        _fonts = True


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072), secrets.token_urlsafe(32)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(28))


def claims(holder: str, code: str, base_url: str) -> dict:
    """An Open Badges 3.0 credential of the size wirlearn signs."""
    issued = datetime.now(UTC).replace(microsecond=0)
    subject_id = f"urn:uuid:{uuid.uuid4()}"
    modules_text = "; ".join(f"{title} ({units} UE)" for title, units in MODULES)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"{base_url}/v/{code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Change-Manager/in in Willkommens- und Anerkennungskultur",
        "issuer": {"id": base_url, "type": ["Profile"], "name": "Hessisches Ministerium für Soziales und Integration"},
        "validFrom": issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": holder}],
            "achievement": {
                "id": f"{base_url}/achievements/1",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Change-Manager/in in Willkommens- und Anerkennungskultur",
                "description": f"Qualifizierungsreihe 2026. Module: {modules_text}. Insgesamt 120 Unterrichtseinheiten.",
                "criteria": {"narrative": "Anwesenheit mindestens 80 % und alle Pflichtmodule bestanden."},
                "inLanguage": "de",
            },
        },
        "evidence": [
            {"type": ["Evidence"], "name": title, "narrative": f"{units} Unterrichtseinheiten"} for title, units in MODULES
        ],
    }
    return credential | {"iss": base_url, "jti": credential["id"], "nbf": int(issued.timestamp()), "sub": subject_id}


def pdf(holder: str, code: str, url: str) -> bytes:
    register_fonts()
    width, height = A4
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"Zertifikat – {holder}")
    canvas.setFont("FloorFira-Bold", 13)
    canvas.drawCentredString(width / 2, height - 55 * mm, "ZERTIFIKAT")
    canvas.setFont("FloorFira", 12)
    canvas.drawCentredString(width / 2, height - 68 * mm, "Hiermit wird bestätigt, dass")
    canvas.setFont("FloorFira-Bold", 28)
    canvas.drawCentredString(width / 2, height - 82 * mm, holder)
    canvas.setFont("FloorFira", 12)
    canvas.drawCentredString(width / 2, height - 94 * mm, "die Qualifizierungsreihe „Interkulturelle Öffnung 2026“")
    canvas.drawCentredString(width / 2, height - 101 * mm, "erfolgreich abgeschlossen und erhält das Zertifikat")
    canvas.setFont("FloorFira-Bold", 18)
    canvas.drawCentredString(width / 2, height - 113 * mm, "Change-Manager/in in Willkommens- und Anerkennungskultur")
    canvas.setFont("FloorFira", 9.5)
    y = height - 130 * mm
    for title, units in [("Modul", "UE"), *MODULES, ("Insgesamt", 120)]:
        canvas.drawString(32 * mm, y, title)
        canvas.drawRightString(width - 32 * mm, y, str(units))
        canvas.line(32 * mm, y - 2, width - 32 * mm, y - 2)
        y -= 6.5 * mm
    canvas.drawString(22 * mm, 98 * mm, f"Wiesbaden, {date.today():%d.%m.%Y}")
    # QR code of the verification URL, as vector rectangles.
    code_image = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=4)
    code_image.add_data(url)
    code_image.make(fit=True)
    matrix = code_image.get_matrix()
    size = 27 * mm
    module = size / len(matrix)
    x0, y0 = 20 * mm, 16 * mm
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y0 + size - (row_index + 1) * module
        for column, dark in enumerate(row):
            if dark:
                path.rect(x0 + column * module, top, module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.drawString(x0 + size + 3 * mm, y0 + 14 * mm, url)
    canvas.drawString(x0 + size + 3 * mm, y0 + 9 * mm, f"Prüfcode: {' '.join(code[i : i + 4] for i in range(0, len(code), 4))}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_certificates(count: int, base_url: str, key: rsa.RSAPrivateKey, kid: str) -> float:
    """Seconds to sign, QR-encode and render ``count`` certificates (nothing kept)."""
    started = time.perf_counter()
    for index in range(count):
        holder = NAMES[index % len(NAMES)]
        code = new_code()
        token = jwt.encode(claims(holder, code, base_url), key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
        document = pdf(holder, code, f"{base_url}/v/{code}")
        del token, document
    return time.perf_counter() - started
