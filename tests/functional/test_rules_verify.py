"""Rules of the public verification page that its HTML reuse must never bend: every visitor gets
the page for their own language and for the state read just now, whatever was asked before.

The page keeps rendered HTML per process; these tests ask for the same certificate in turn with
different inputs (browser language, ``?lang=``, a signed-in user's choice, the time, the state,
the key) and expect each answer to be the one a first visitor with those inputs would get."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.auth.models import User
from wirlearn.certificates import codes, services
from wirlearn.certificates.models import Certificate, SigningKey
from wirlearn.core.timeutil import to_local, utcnow
from wirlearn.extensions import db
from wirlearn.verify import services as verify_services

UNKNOWN = "ABCDEFGHJKMNPQRSTUVWXYZ23456"


@pytest.fixture
def code(app, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        issued = services.issue_certificate(enrollment_id(app, programme["main"], coordinator)).code
        db.session.commit()
    return issued


def page(client, path: str, accept_language: str | None = None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    return client.get(path, headers=headers).get_data(as_text=True)


def html_lang(html: str) -> str:
    return re.search(r'<html lang="(\w+)">', html).group(1)


def heading(html: str) -> str:
    return re.search(r'<h1 class="v-status__title" id="status-titel">(.*?)</h1>', html, re.S).group(1).strip()


def test_each_visitor_gets_the_page_in_the_language_their_browser_asks_for(client, code):
    for accept, lang, title, switch in [
        ("en-GB,en;q=0.9", "en", "Valid", "de"),
        ("de-DE,de;q=0.9", "de", "Gültig", "en"),
        ("en", "en", "Valid", "de"),
        ("fr, de;q=0.5", "de", "Gültig", "en"),
        (None, "de", "Gültig", "en"),
    ]:
        html = page(client, f"/v/{code}", accept)
        assert (html_lang(html), heading(html)) == (lang, title), accept
        assert f'href="/v/{code}?lang={switch}"' in html


def test_the_language_link_wins_over_the_browser_language(client, code):
    english = page(client, f"/v/{code}?lang=en", "de-DE")
    assert (html_lang(english), heading(english)) == ("en", "Valid")
    german = page(client, f"/v/{code}?lang=de", "en-GB")
    assert (html_lang(german), heading(german)) == ("de", "Gültig")
    # Without the link the browser decides again.
    assert html_lang(page(client, f"/v/{code}", "en-GB")) == "en"


def test_the_public_page_is_the_same_for_a_signed_in_user_and_a_stranger_with_the_same_browser(app, client, code, trainer, login):
    """The lean public path reads no session (core/lean.py): the page depends on the address and
    the browser's languages only, so no copy made for one visitor can reach another."""
    with app.app_context():
        db.session.execute(update(User).where(User.id == trainer.id).values(preferred_locale="en"))
        db.session.commit()
    login(client, trainer)
    signed_in = client.get(f"/v/{code}", headers={"Accept-Language": "de-DE"})
    anonymous = app.test_client().get(f"/v/{code}", headers={"Accept-Language": "de-DE"})
    assert heading(signed_in.get_data(as_text=True)) == heading(anonymous.get_data(as_text=True)) == "Gültig"
    assert "Cookie" not in signed_in.headers.get("Vary", "")
    assert heading(page(client, f"/v/{code}?lang=en", "de-DE")) == "Valid"


def test_the_unknown_code_answer_follows_the_browser_language_too(client):
    english = client.get(f"/v/{UNKNOWN}", headers={"Accept-Language": "en"})
    german = client.get(f"/v/{UNKNOWN}", headers={"Accept-Language": "de"})
    assert (english.status_code, german.status_code) == (404, 404)
    assert heading(english.get_data(as_text=True)) == "Unknown code"
    assert heading(german.get_data(as_text=True)) == "Unbekannter Code"


def test_the_lookup_form_with_a_wrong_code_follows_the_browser_language(client):
    english = page(client, "/v/?code=nonsense", "en")
    german = page(client, "/v/?code=nonsense", "de")
    assert html_lang(english) == "en" and html_lang(german) == "de"
    assert english != german


def test_the_link_to_the_newer_certificate_keeps_the_chosen_language(app, client, code, admin):
    with app.app_context():
        new = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir", link_successor=True).code
        db.session.commit()
    plain = page(client, f"/v/{code}")
    english = page(client, f"/v/{code}?lang=en")
    assert f'href="/v/{new}"' in plain and f'href="/v/{new}?lang=en"' not in plain
    assert f'href="/v/{new}?lang=en"' in english
    assert heading(english) == f"Superseded by {codes.grouped(new)}"


def test_the_check_time_shown_is_the_time_of_this_visit(client, code, monkeypatch):
    first = utcnow().replace(second=5, microsecond=0)
    monkeypatch.setattr(verify_services, "utcnow", lambda: first)
    earlier = page(client, f"/v/{code}")
    monkeypatch.setattr(verify_services, "utcnow", lambda: first + timedelta(minutes=1))
    later = page(client, f"/v/{code}")
    shown = [re.search(r"Geprüft am (.*?) Uhr", html).group(1) for html in (earlier, later)]
    assert shown[0] != shown[1]
    assert shown[1].endswith(f"{(first + timedelta(minutes=1)).minute:02d}")


def test_a_certificate_that_expires_between_two_visits_shows_expired(app, client, factory, coordinator, monkeypatch):
    series = factory.series(coordinators=(coordinator,), validity_months=12)
    make_eligible(app, series, coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, coordinator)).code
        db.session.commit()
        valid_until = services.certificate_by_code(code).valid_until
    monkeypatch.setattr(verify_services, "utcnow", lambda: valid_until - timedelta(minutes=1))
    assert heading(page(client, f"/v/{code}")) == "Gültig"
    monkeypatch.setattr(verify_services, "utcnow", lambda: valid_until)
    assert heading(page(client, f"/v/{code}")).startswith("Abgelaufen am ")


def test_a_key_retired_after_the_page_was_seen_is_marked_on_the_next_visit(app, client, code):
    note = "inzwischen ersetzt"
    assert note not in page(client, f"/v/{code}")
    with app.app_context():
        db.session.execute(update(SigningKey).values(retired_at=utcnow()))
        db.session.commit()
    html = page(client, f"/v/{code}")
    assert note in html and heading(html) == "Gültig"


def test_a_changed_snapshot_is_shown_as_stored_and_not_confirmed(app, client, code):
    assert "Mallory Muster" not in page(client, f"/v/{code}")
    with app.app_context():
        certificate = services.certificate_by_code(code)
        changed = dict(certificate.snapshot) | {"holder_name": "Mallory Muster"}
        db.session.execute(update(Certificate).where(Certificate.code == code).values(snapshot=changed))
        db.session.commit()
    html = page(client, f"/v/{code}")
    assert heading(html) == "Nicht bestätigt" and "Mallory Muster" in html


def test_a_language_the_site_does_not_offer_in_the_link_is_ignored(client, code):
    english = page(client, f"/v/{code}?lang=fr", "en-GB")
    assert (html_lang(english), heading(english)) == ("en", "Valid")
    german = page(client, f"/v/{code}?lang=xx", "de-DE")
    assert (html_lang(german), heading(german)) == ("de", "Gültig")
    assert "lang=xx" not in german and "lang=fr" not in english


def test_the_lookup_form_shows_each_visitor_their_own_input(client):
    message = "Das ist kein gültiger Prüfcode."
    empty = page(client, "/v/")
    first = page(client, "/v/?code=erster-versuch")
    second = page(client, "/v/?code=zweiter-versuch")
    assert 'value="erster-versuch"' in first and message in first
    assert 'value="zweiter-versuch"' in second and "erster-versuch" not in second
    assert 'value=""' in page(client, "/v/") and message not in empty


def test_a_page_seen_again_within_the_minute_is_not_rendered_again(app, client, code, monkeypatch):
    from flask import template_rendered

    now = utcnow().replace(second=1, microsecond=0)
    monkeypatch.setattr(verify_services, "utcnow", lambda: now)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        first = page(client, f"/v/{code}")
        second = page(client, f"/v/{code}")
    finally:
        template_rendered.disconnect(record, app)
    assert first == second
    assert rendered == ["verify/certificate.html"]


def test_every_public_page_links_to_itself_in_the_other_language(client, code):
    german = page(client, f"/v/{code}", "de")
    assert f'<a class="v-lang" href="/v/{code}?lang=en" lang="en" hreflang="en">English</a>' in german
    english = page(client, f"/v/{code}", "en")
    assert f'<a class="v-lang" href="/v/{code}?lang=de" lang="de" hreflang="de">Deutsch</a>' in english
    # The unknown-code answer has no page of its own to switch: its link goes to the lookup form.
    unknown = page(client, f"/v/{UNKNOWN}", "de")
    assert '<a class="v-lang" href="/v/?lang=en" lang="en" hreflang="en">English</a>' in unknown
    unknown_en = page(client, f"/v/{UNKNOWN}", "en")
    assert '<a class="v-lang" href="/v/?lang=de" lang="de" hreflang="de">Deutsch</a>' in unknown_en
    lookup = page(client, "/v/", "de")
    assert '<a class="v-lang" href="/v/?lang=en" lang="en" hreflang="en">English</a>' in lookup


def test_public_pages_are_html_never_indexed_and_never_stored(client, code):
    for path, status in [(f"/v/{code}", 200), (f"/v/{UNKNOWN}", 404), ("/v/", 200), ("/v/?code=falsch", 200)]:
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow, noarchive", path
        assert response.headers["Cache-Control"] == "no-store", path


def test_a_page_seen_again_later_in_the_same_minute_is_not_rendered_again(app, client, code, monkeypatch):
    """The page shows the check time to the minute: any two visits within one minute share it."""
    from flask import template_rendered

    start = utcnow().replace(second=0, microsecond=1)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        pages = []
        for moment in (start, start.replace(second=59, microsecond=999_999)):
            monkeypatch.setattr(verify_services, "utcnow", lambda moment=moment: moment)
            pages.append(page(client, f"/v/{code}"))
    finally:
        template_rendered.disconnect(record, app)
    assert pages[0] == pages[1]
    assert rendered == ["verify/certificate.html"]


def test_a_record_changed_twice_shows_what_is_stored_at_this_visit(app, client, code, monkeypatch):
    """Both changed records fail the same way ("Nicht bestätigt"); the page still shows the second."""
    now = utcnow().replace(second=1, microsecond=0)
    monkeypatch.setattr(verify_services, "utcnow", lambda: now)
    for name in ("Mallory Muster", "Eve Beispiel"):
        with app.app_context():
            certificate = services.certificate_by_code(code)
            changed = dict(certificate.snapshot) | {"holder_name": name}
            db.session.execute(update(Certificate).where(Certificate.code == code).values(snapshot=changed))
            db.session.commit()
        html = page(client, f"/v/{code}")
        assert heading(html) == "Nicht bestätigt" and name in html
    assert "Mallory Muster" not in html


def test_the_page_shows_the_day_of_issue_and_of_the_replacement(app, client, code, admin, monkeypatch):
    with app.app_context():
        issued = services.certificate_by_code(code).issued_at
        new = services.reissue_certificate(code, issued_by_id=admin.id, holder_name="Ayşe Demir", link_successor=True).code
        db.session.commit()
        superseded = services.certificate_by_code(code).superseded_at
    html = page(client, f"/v/{code}")
    assert f"<dd>{to_local(issued):%d.%m.%Y}" in html
    assert f"Am {to_local(superseded):%d.%m.%Y} wurde dafür ein neues Zertifikat ausgestellt" in html
    assert heading(html) == f"Ersetzt durch {codes.grouped(new)}"


def test_the_rendered_pages_kept_in_memory_never_exceed_the_limit(app, client, code, monkeypatch):
    """A server that has shown many certificates keeps at most PAGE_CACHE_LIMIT rendered pages
    (about 9 KB each); when full it starts afresh, and the page asked for is still kept."""
    from wirlearn.verify import views

    monkeypatch.setattr(views, "_pages", {})
    monkeypatch.setattr(views, "PAGE_CACHE_LIMIT", 2)
    sizes = []
    for minute in range(4):  # four different pages: the check time shown changes each minute
        moment = utcnow().replace(microsecond=0) + timedelta(minutes=minute)
        monkeypatch.setattr(verify_services, "utcnow", lambda moment=moment: moment)
        assert heading(page(client, f"/v/{code}", "de")) == "Gültig"
        sizes.append(len(views._pages))
    assert sizes == [1, 2, 1, 2]
