"""The QR symbols and PDF layout pieces that are made faster or cached must stay exactly what
the plain libraries would make."""

from __future__ import annotations

import random
import threading

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from wirlearn.certificates import pdf, qr

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def plain_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=qr.QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def test_symbols_keep_exactly_the_modules_qrcode_makes():
    """Stored as one integer per row, drawn from those: every module as qrcode placed it."""
    rng = random.Random(2026)
    urls = ["https://zertifikate.wir-hessen.de/v/" + "".join(rng.choice(ALPHABET) for _ in range(28)) for _ in range(20)]
    others = ["x" * length for length in (1, 17, 90, 300, 1200)]  # small to large versions
    others += ["".join(chr(rng.randint(32, 0x24F)) for _ in range(rng.randint(1, 150))) for _ in range(5)]
    for data in urls + others:
        expected = plain_matrix(data)
        symbol = qr.symbol.__wrapped__(data)
        assert [list(row) for row in symbol.modules] == expected, data
        assert symbol.size == len(expected)


def test_symbol_cache_is_bounded():
    qr.symbol.cache_clear()
    for index in range(qr.CACHE_SIZE + 10):
        qr.symbol(f"https://example.org/v/{index:028d}")
    assert qr.symbol.cache_info().currsize == qr.CACHE_SIZE


SNAPSHOT = {
    "version": 1,
    "holder_name": "Ayşe Yılmaz",
    "subject_id": "urn:uuid:1",
    "certificate_title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
    "series_title": "Interkulturelle Öffnung 2026",
    "provider": "WIR-Vielfaltszentrum Hessen",
    "issuer_name": "Hessisches Ministerium für Soziales und Integration",
    "place": "Wiesbaden",
    "start_date": "2026-01-10",
    "end_date": "2026-11-20",
    "modules": [{"title": f"Modul {index}: Anerkennungskultur in der Verwaltung", "teaching_units": 8} for index in range(8)],
    "teaching_units_total": 64,
    "criteria": "Voraussetzungen: Anwesenheit bei mindestens 80 % aller Termine; alle Pflichtmodule bestanden.",
    "issued_at": "2026-11-25T12:00:00Z",
    "valid_until": None,
    "issuer_url": "https://zertifikate.wir-hessen.de",
    "verify_url": "https://zertifikate.wir-hessen.de/v/J3H2BA9QTSKYAGEGEEPWJG46KTYR",
    "achievement_id": "urn:uuid:2",
}
CODE = "J3H2BA9QTSKYAGEGEEPWJG46KTYR"


def render_uncached(*args) -> bytes:
    pdf._layouts.cache = None  # a fresh cache: everything laid out anew
    return pdf.render(*args)


@pytest.mark.parametrize("modules", [1, 8, 30, 80])
def test_cached_layout_gives_the_same_pdf(app, modules):
    snapshot = dict(SNAPSHOT)
    snapshot["modules"] = [{"title": f"Modul {index} " * (1 + index % 4), "teaching_units": 4} for index in range(modules)]
    snapshot["teaching_units_total"] = 4 * modules
    note = pdf.StatusNote("WIDERRUFEN am 01.01.2027 – dieses Zertifikat ist nicht mehr gültig.")
    with app.app_context():
        for args in ((snapshot, CODE), (snapshot, CODE, note), (snapshot | {"holder_name": "Đorđe Petrović"}, CODE)):
            fresh = render_uncached(*args)
            assert pdf.render(*args) == fresh  # from the cache
            assert pdf.render(*args) == fresh


def test_cache_follows_the_content(app):
    """A changed title or module list is laid out anew, never taken from another series."""
    with app.app_context():
        first = pdf.render(SNAPSHOT, CODE)
        changed = SNAPSHOT | {"certificate_title": "Fachkraft für Integration", "modules": SNAPSHOT["modules"][:3]}
        changed["teaching_units_total"] = 24
        assert pdf.render(changed, CODE) == render_uncached(changed, CODE)
        assert pdf.render(changed, CODE) != first
        assert pdf.render(SNAPSHOT, CODE) == first


def test_layout_cache_is_bounded_and_per_thread(app):
    with app.app_context():
        for index in range(pdf.LAYOUT_CACHE + 20):
            pdf.render(SNAPSHOT | {"series_title": f"Reihe {index}"}, CODE)
        assert len(pdf._layouts.cache) <= pdf.LAYOUT_CACHE
        results = []
        thread = threading.Thread(target=lambda: results.append(_render_in(app)))
        thread.start()
        thread.join()
        assert results == [pdf.render(SNAPSHOT, CODE)]


def _render_in(app) -> bytes:
    with app.app_context():
        assert getattr(pdf._layouts, "cache", None) is None  # its own cache
        return pdf.render(SNAPSHOT, CODE)
