"""Privacy notice and imprint: texts the operator sets in LEGAL_TEXT_DIR, shown as plain text."""

from __future__ import annotations


def test_operator_texts_are_shown_as_paragraphs_of_plain_text(app, client, tmp_path):
    (tmp_path / "datenschutz.txt").write_text(
        "Verantwortlich: Hessisches Ministerium.\n\nIhre Rechte: Auskunft, Berichtigung, Löschung.\n\n<script>alert(1)</script>",
        encoding="utf-8",
    )
    (tmp_path / "impressum.txt").write_text("Programmbüro WIR\nWiesbaden", encoding="utf-8")
    app.config["LEGAL_TEXT_DIR"] = str(tmp_path)
    privacy = client.get("/datenschutz").get_data(as_text=True)
    assert "<h1" in privacy and "Datenschutzerklärung" in privacy
    assert privacy.count('<p class="kern-body">') >= 3
    assert "Ihre Rechte: Auskunft" in privacy
    assert "<script>alert" not in privacy and "&lt;script&gt;" in privacy
    imprint = client.get("/impressum").get_data(as_text=True)
    assert "Programmbüro WIR" in imprint and "Impressum" in imprint


def test_missing_texts_say_so_instead_of_failing(app, client, tmp_path):
    app.config["LEGAL_TEXT_DIR"] = str(tmp_path / "leer")
    for path in ("/datenschutz", "/impressum"):
        response = client.get(path)
        assert response.status_code == 200
        assert "noch nicht hinterlegt" in response.get_data(as_text=True)


def test_legal_pages_are_public_and_linked_from_every_page(client, login, coordinator):
    for path in ("/anmelden", "/gibt-es-nicht"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/datenschutz"' in page and 'href="/impressum"' in page
    assert client.get("/datenschutz").status_code == 200
    login(client, coordinator)
    assert 'href="/datenschutz"' in client.get("/start", follow_redirects=True).get_data(as_text=True)
