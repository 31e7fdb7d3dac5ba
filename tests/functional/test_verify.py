"""The public verification page and JSON: five states never confused, exactly what the
certificate shows and nothing else, one 404 for unknown and malformed codes, the QR code."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from tests.certificate_support import app_settings, enrollment_id, issue, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import codes, qr, services
from wirlearn.certificates.models import Certificate
from wirlearn.core.timeutil import to_local, utcnow
from wirlearn.extensions import db
from wirlearn.verify import services as verify_services

UNKNOWN = "ABCDEFGHJKMNPQRSTUVWXYZ23456"


@pytest.fixture
def code(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    return issue(app, programme["main"], coordinator)


def visible_text(html: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def status_heading(html: str) -> str:
    return re.search(r'<h1 class="v-status__title" id="status-titel">(.*?)</h1>', html, re.S).group(1).strip()


def test_valid_page_shows_exactly_the_certificate(app, client, code, coordinator):
    response = client.get(f"/v/{code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert status_heading(html) == "Gültig"
    text = visible_text(html)
    with app.app_context():
        s = services.certificate_by_code(code).snapshot
    for value in (
        s["holder_name"],
        s["certificate_title"],
        s["series_title"],
        s["provider"],
        s["issuer_name"],
        s["place"],
        codes.grouped(code),
    ):
        assert value in text
    for module in s["modules"]:
        assert module["title"] in text
    assert "Die digitale Signatur ist gültig" in text
    # Nothing of the account: no e-mail, no region, no login, no id, no other certificate.
    assert coordinator.email not in html and "@" not in text
    assert "Darmstadt" not in text
    assert "Abmelden" not in html and "Anmelden" not in html
    assert "subject" not in html and "urn:uuid" not in html


def test_page_is_small_not_indexed_sets_no_cookie_and_loads_no_script(client, code):
    response = client.get(f"/v/{code}")
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script" not in html
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheets == ["/static/css/verify.css"]
    css = client.get(stylesheets[0])
    assert len(css.data) < 10_000
    css.close()
    assert len(response.data) < 12_000


@pytest.mark.parametrize("transform", [str.lower, codes.grouped, lambda c: " ".join(codes.grouped(c).lower().split("-"))])
def test_code_is_case_insensitive_and_may_carry_separators(client, code, transform):
    response = client.get(f"/v/{transform(code)}")
    assert response.status_code == 200
    assert status_heading(response.get_data(as_text=True)) == "Gültig"
    assert client.get(f"/api/v1/verify/{transform(code)}").get_json()["code"] == code


@pytest.mark.parametrize("bad", [UNKNOWN, "not-a-code", "0" * 28, "ABCDEFGHJKMNPQRSTUVWXYZ2345", "%3Cscript%3E", "a/b/c"])
def test_unknown_and_malformed_codes_get_the_same_404(client, code, bad):
    reference = client.get(f"/v/{UNKNOWN}")
    response = client.get(f"/v/{bad}")
    assert response.status_code == 404 == reference.status_code
    assert response.data == reference.data
    assert "Unbekannter Code" in response.get_data(as_text=True)
    api = client.get(f"/api/v1/verify/{bad}")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert api.get_json() == client.get(f"/api/v1/verify/{UNKNOWN}").get_json()


def test_expired_state(app, client, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,), validity_months=12)
    make_eligible(app, series, coordinator)
    two_years_ago = utcnow().replace(microsecond=0) - timedelta(days=730)
    monkeypatch.setattr(services, "utcnow", lambda: two_years_ago)
    code = issue(app, series, coordinator)
    monkeypatch.undo()
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert status_heading(html).startswith("Abgelaufen am ")
    assert "Gültig" not in status_heading(html)
    body = client.get(f"/api/v1/verify/{code}").get_json()
    assert body["status"] == "expired" and body["signature"]["valid"] is True
    assert body["certificate"]["valid_until"].startswith(str(two_years_ago.year + 1))


def test_revoked_state_with_date_and_no_reason(app, client, code, admin):
    with app.app_context():
        services.revoke_certificate(code, "Persönlicher Grund, nicht öffentlich", revoked_by_id=admin.id)
        db.session.commit()
        revoked_at = services.certificate_by_code(code).revoked_at
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert status_heading(html) == f"Widerrufen am {to_local(revoked_at):%d.%m.%Y}"  # the day in Germany
    assert "Persönlicher Grund" not in html
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "revoked"
    assert "Persönlicher Grund" not in client.get(f"/api/v1/verify/{code}").get_data(as_text=True)


def test_superseded_state_links_to_the_newer_one(app, client, code, admin):
    with app.app_context():
        new = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir", link_successor=True).code
        db.session.commit()
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert status_heading(html) == f"Ersetzt durch {codes.grouped(new)}"
    assert f'href="/v/{new}"' in html
    assert status_heading(client.get(f"/v/{new}").get_data(as_text=True)) == "Gültig"


def test_wrong_method_under_v_sets_no_cookie(client, code):
    response = client.post(f"/v/{code}")
    assert response.status_code == 405
    assert "Set-Cookie" not in response.headers


def test_unknown_state(client):
    response = client.get(f"/v/{UNKNOWN}")
    assert response.status_code == 404
    assert status_heading(response.get_data(as_text=True)) == "Unbekannter Code"


def test_revocation_shows_at_once_even_after_the_page_was_seen(app, client, code, admin):
    for _ in range(3):
        assert status_heading(client.get(f"/v/{code}").get_data(as_text=True)) == "Gültig"
    with app.app_context():
        db.session.execute(update(Certificate).where(Certificate.code == code).values(status="revoked", revoked_at=utcnow()))
        db.session.commit()
    assert status_heading(client.get(f"/v/{code}").get_data(as_text=True)).startswith("Widerrufen am")


def test_a_changed_record_is_not_confirmed(app, client, code):
    """Someone edits the stored snapshot (or credential) behind the app's back: the page must
    not say "Gültig", even though the status column still says valid."""
    assert status_heading(client.get(f"/v/{code}").get_data(as_text=True)) == "Gültig"
    with app.app_context():
        certificate = services.certificate_by_code(code)
        changed = dict(certificate.snapshot) | {"holder_name": "Mallory Muster"}
        db.session.execute(update(Certificate).where(Certificate.code == code).values(snapshot=changed))
        db.session.commit()
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert status_heading(html) == "Nicht bestätigt"
    assert "weichen vom signierten Nachweis ab" in html
    body = client.get(f"/api/v1/verify/{code}").get_json()
    assert body["signature"] == {"valid": False, "kid": body["signature"]["kid"], "algorithm": "RS256", "reason": "content"}
    assert body["status"] == "invalid"  # the JSON says what the page says: not "valid"

    with app.app_context():
        original = services.certificate_by_code(code)
        head, payload, signature = original.credential.split(".")
        broken = f"{head}.{payload}.{signature[:-4]}AAAA"
        db.session.execute(update(Certificate).where(Certificate.code == code).values(credential=broken))
        db.session.commit()
    assert client.get(f"/api/v1/verify/{code}").get_json()["signature"]["valid"] is False
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "invalid"


def test_verification_json_matches_the_contract(app, client, code):
    response = client.get(f"/api/v1/verify/{code}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"status", "certificate", "signature"}
    assert body["status"] == "valid"
    assert body["signature"]["valid"] is True and body["signature"]["kid"]
    certificate = body["certificate"]
    assert certificate["holder_name"] == "Ayşe Yılmaz"
    assert certificate["modules"] == [{"title": "Grundlagen", "teaching_units": 8}, {"title": "Praxis", "teaching_units": 8}]
    assert "email" not in response.get_data(as_text=True)


def test_english_switch_by_link_without_cookie(client, code):
    response = client.get(f"/v/{code}?lang=en")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and status_heading(html) == "Valid"
    assert "Set-Cookie" not in response.headers
    assert f'href="/v/{code}?lang=de"' in html
    # The switch goes to the canonical address, however the code was typed.
    assert f'href="/v/{code}?lang=en"' in client.get(f"/v/{codes.grouped(code).lower()}").get_data(as_text=True)
    assert '<html lang="de">' in client.get(f"/v/{code}").get_data(as_text=True)


def test_lookup_form_forwards_a_typed_code(client, code):
    response = client.get("/v", query_string={"code": codes.grouped(code).lower()})
    assert response.status_code == 302 and response.headers["Location"] == f"/v/{code}"
    response = client.get("/v", query_string={"code": "nonsense"})
    assert response.status_code == 200 and "kein gültiger Prüfcode" in response.get_data(as_text=True)
    assert client.get("/v").status_code == 200


def test_signature_check_is_cached_but_keyed_by_content(app, client, code, monkeypatch):
    from wirlearn.certificates import signing

    verify_services.clear_cache()
    calls = []
    original = signing.verify
    monkeypatch.setattr(signing, "verify", lambda *a, **k: calls.append(1) or original(*a, **k))
    for _ in range(5):
        client.get(f"/v/{code}")
    assert len(calls) == 1


def test_verification_page_costs_one_query(app, client, code):
    from tests.querycount import count_queries

    client.get(f"/v/{code}")
    with app.app_context(), count_queries(db.engine) as counter:
        assert client.get(f"/v/{code}").status_code == 200
    assert counter.count == 1, counter.statements


def test_qr_code_from_the_rendered_pdf_decodes_to_the_verification_url(app, client, code, tmp_path):
    import zxingcpp

    assert shutil.which("pdftoppm"), "poppler-utils is needed (.ci/run installs it)"

    with app.app_context():
        certificate = services.certificate_by_code(code)
        data = services.pdf_bytes(certificate)
    pdf_path = tmp_path / "zertifikat.pdf"
    pdf_path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf_path), str(tmp_path / "page")], check=True)
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert len(results) == 1
    url = f"http://wirlearn.test/v/{code}"
    assert results[0].text == url
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].extra["ECLevel"] == "M"
    version = int(results[0].extra["Version"])
    assert version == qr.symbol(url).version
    assert not qr.fits(url, version - 1)  # nothing smaller would do
    # Fonts are embedded (subsets), so the names print as written anywhere.
    fonts = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    fira = [line.split() for line in fonts.splitlines() if "FiraSans" in line]
    assert len(fira) == 3 and all(columns[-5:-2] == ["yes", "yes", "yes"] for columns in fira)  # embedded, subset, unicode
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Ayşe Yılmaz" in text and url in text and codes.grouped(code) in text
    assert Path(pdf_path).stat().st_size < 120_000


def test_verification_is_rate_limited_per_address(database_url, signing_key_dir):  # noqa: F811
    from wirlearn import create_app

    limited = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_VERIFY="3 per minute",
        SIGNING_KEY_DIR=str(signing_key_dir),
    )
    client = limited.test_client()
    for _ in range(3):
        assert client.get(f"/v/{UNKNOWN}").status_code == 404
    refused = client.get(f"/v/{UNKNOWN}")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Zu viele Anfragen" in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers  # not even the refusal sets a cookie
    assert client.get(f"/api/v1/verify/{UNKNOWN}").status_code == 429
    with limited.app_context():
        db.engine.dispose()
