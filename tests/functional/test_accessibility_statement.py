"""The accessibility statement (BITV 2.0, EU 2018/1523) and the page in Leichte Sprache: public,
linked from every page's footer next to Datenschutz and Impressum, German and English, with the
known limits, the date and method of the last check, a contact and the Schlichtungsstelle; the
operator's own texts in LEGAL_TEXT_DIR replace them."""

from __future__ import annotations

import pytest

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixtures


def test_the_statement_has_every_part_the_law_asks_for(app, client):
    app.config["ACCESSIBILITY_CONTACT"] = "Programmbüro WIR <barrierefrei@wir-hessen.example>"
    page = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "<h1" in page and "Erklärung zur Barrierefreiheit" in page
    assert "teilweise mit der BITV 2.0" in page  # the status of compliance
    assert "Nicht barrierefreie Inhalte" in page and "PDF/UA" in page  # what is not accessible and why
    assert "01.12.2026" in page and "axe-core" in page and "Selbstbewertung" in page  # date and method
    assert 'href="mailto:barrierefrei@wir-hessen.example"' in page  # feedback contact
    assert "Schlichtungsstelle" in page and "www.schlichtungsstelle-bgg.de" in page


def test_the_statement_in_english(app, client):
    client.post("/sprache", data={"lang": "en"})
    page = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "Accessibility statement" in page and "Conciliation procedure" in page
    assert "Nicht barrierefreie Inhalte" not in page


def test_without_a_contact_setting_it_points_to_the_mail_reply_address(app, client):
    app.config.update(ACCESSIBILITY_CONTACT=None, MAIL_REPLY_TO="Team <team@example.org>")
    assert 'href="mailto:team@example.org"' in client.get("/barrierefreiheit").get_data(as_text=True)


def test_operator_texts_replace_the_defaults_per_language(app, client, tmp_path):
    (tmp_path / "barrierefreiheit.txt").write_text("Unsere Erklärung.\n\nStand: 2027.", encoding="utf-8")
    (tmp_path / "barrierefreiheit.en.txt").write_text("Our statement.", encoding="utf-8")
    (tmp_path / "leichte-sprache.txt").write_text("Hier steht alles in Leichter Sprache.", encoding="utf-8")
    app.config["LEGAL_TEXT_DIR"] = str(tmp_path)
    german = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "Unsere Erklärung." in german and "Stand: 2027." in german and "PDF/UA" not in german
    assert "Hier steht alles in Leichter Sprache." in client.get("/leichte-sprache").get_data(as_text=True)
    client.post("/sprache", data={"lang": "en"})
    assert "Our statement." in client.get("/barrierefreiheit").get_data(as_text=True)


def test_leichte_sprache_explains_what_wirlearn_is_for_and_how_to_use_it(client):
    page = client.get("/leichte-sprache").get_data(as_text=True)
    assert 'lang="de"' in page
    for words in ("Was ist wirlearn?", "Das Zertifikat", "So benutzen Sie wirlearn", "Haben Sie Fragen?"):
        assert words in page


@pytest.mark.parametrize("path", ["/anmelden", "/gibt-es-nicht", "/barrierefreiheit", "/v/"])
def test_both_pages_are_linked_next_to_datenschutz_and_impressum(client, path):
    page = client.get(path).get_data(as_text=True)
    footer = page[page.index("<footer") :]
    for link in ('href="/datenschutz"', 'href="/impressum"', 'href="/barrierefreiheit"', 'href="/leichte-sprache"'):
        assert link in footer, (path, link)


def test_linked_from_signed_in_pages_and_the_certificate_page(app, client, login, admin, programme, coordinator):
    from wirlearn.certificates import services
    from wirlearn.extensions import db

    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, programme["main"], coordinator), issued_by_id=admin.id).code
        db.session.commit()
    assert 'href="/barrierefreiheit"' in client.get(f"/v/{code}").get_data(as_text=True)
    login(client, coordinator)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert 'href="/barrierefreiheit"' in page and 'href="/leichte-sprache"' in page
