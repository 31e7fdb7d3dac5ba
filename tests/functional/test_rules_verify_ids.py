"""What the public ids inside a credential answer, as wallets, verifiers and browsers read them:
the issuer and the achievement as JSON-LD or JSON when a program asks for it and as a page when a
browser does, readable from any site and cacheable for five minutes, a key for an hour; never
indexed; anything unknown is an empty 404 that no one keeps."""

from __future__ import annotations

import json

import pytest
from markupsafe import escape

from tests.certificate_support import add_logo, app_settings, enrollment_id, make_eligible, png_bytes, signing_key_dir  # noqa: F401
from wirlearn.certificates import design, services
from wirlearn.certificates.models import DesignImage
from wirlearn.extensions import db
from wirlearn.verify import profiles

NO_INDEX = "noindex, nofollow, noarchive"


@pytest.fixture
def series_id(app, programme, coordinator):
    """A series with one certificate issued: its issuer and achievement ids resolve."""
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        services.issue_certificate(enrollment_id(app, programme["main"], coordinator))
        db.session.commit()
    return programme["main"].id


def varies_by(response) -> list[str]:
    return [name.strip() for name in response.headers.get("Vary", "").split(",")]


def profile_paths(series_id: int) -> list[tuple[str, object]]:
    return [(f"/ob/issuers/{series_id}", profiles.issuer_profile), (f"/ob/achievements/{series_id}", profiles.achievement)]


def test_a_program_asking_for_json_gets_the_profile_as_compact_utf8_json_any_site_may_cache_for_five_minutes(
    app, client, series_id
):
    for path, build in profile_paths(series_id):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 200, path
        with app.app_context():
            expected = build(series_id)
        body = response.get_data(as_text=True)
        # Umlauts and quotation marks as themselves (not \u escapes), no spaces between items.
        assert body == json.dumps(expected, ensure_ascii=False, separators=(",", ":")), path
        assert response.headers["Content-Type"] == "application/json", path
        assert response.headers["Cache-Control"] == "public, max-age=300", path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "Accept" in varies_by(response), path
        assert response.headers["X-Robots-Tag"] == NO_INDEX, path


def test_a_program_asking_for_json_ld_gets_it_labelled_as_json_ld(client, series_id):
    for path, _build in profile_paths(series_id):
        for accept in (
            "application/ld+json",
            "application/ld+json, application/json;q=0.5",
            "application/json, application/ld+json",
        ):
            response = client.get(path, headers={"Accept": accept})
            assert response.headers["Content-Type"] == "application/ld+json", (path, accept)
            assert json.loads(response.data)["id"].endswith(path), (path, accept)


def test_a_browser_gets_the_page_even_when_it_would_also_take_json(app, client, series_id):
    for (path, build), kicker in zip(profile_paths(series_id), ("Aussteller", "Abschluss"), strict=True):
        with app.app_context():
            name = build(series_id)["name"]
        for accept in (None, "text/html", "text/html, application/json;q=0.9", "text/html, */*;q=0.8", "image/png"):
            response = client.get(path, headers={"Accept": accept} if accept else {})
            assert response.status_code == 200, (path, accept)
            assert response.headers["Content-Type"] == "text/html; charset=utf-8", (path, accept)
            html = response.get_data(as_text=True)
            assert f'<p class="v-kicker">{kicker}</p>' in html, (path, accept)
            assert f'<h1 class="v-card__title" id="profil-titel">{escape(name)}</h1>' in html, (path, accept)
            # The language link leads to this page in English, not to the code lookup.
            assert f'<a class="v-lang" href="{path}?lang=en" lang="en" hreflang="en">English</a>' in html, (path, accept)
            # Caches keep the page and the JSON apart; neither is stored or indexed.
            assert "Accept" in varies_by(response), (path, accept)
            assert response.headers["Cache-Control"] == "no-store", (path, accept)
            assert response.headers["X-Robots-Tag"] == NO_INDEX, (path, accept)


def test_a_program_that_takes_anything_gets_json(client, series_id):
    for path, _build in profile_paths(series_id):
        response = client.get(path, headers={"Accept": "*/*"})
        assert response.headers["Content-Type"] == "application/json", path


def test_a_key_is_its_jwk_any_site_may_cache_for_an_hour(app, client, series_id):
    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    kid = jwks[0]["kid"]
    response = client.get(f"/ob/keys/{kid}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/jwk+json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Robots-Tag"] == NO_INDEX
    with app.app_context():
        assert response.get_json() == profiles.key_jwk(kid)


def test_an_unknown_id_is_an_empty_404_that_no_one_keeps_and_that_looks_the_same_for_every_kind_of_id(client, series_id):
    # The status list's 404 (status.views) is the same answer, written on its own.
    unknown_list = client.get("/ob/status/999999")
    assert unknown_list.status_code == 404
    for path in (
        f"/ob/issuers/{series_id + 1000}",
        f"/ob/achievements/{series_id + 1000}",
        "/ob/keys/unbekannt",
        "/ob/images/999999",
    ):
        for accept in ("application/json", "text/html"):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 404, (path, accept)
            assert response.data == b"", (path, accept)
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8", (path, accept)
            assert response.headers["Cache-Control"] == "no-store", (path, accept)
            assert sorted(response.headers.items()) == sorted(unknown_list.headers.items()), (path, accept)


def test_a_logo_named_by_a_profile_is_served_to_any_site_for_a_day_but_a_signature_never(app, client, programme):
    """Wallets show the issuer's logo from its id; a signature image stays inside the PDF."""
    series_id = programme["main"].id
    with app.app_context():
        logo_id = add_logo(series_id)
        logo = db.session.get(DesignImage, logo_id).data
        signature_id = design.store_image(series_id, "signature", design.check_image(png_bytes(), "Unterschrift")).id
        db.session.commit()

    response = client.get(f"/ob/images/{logo_id}")
    assert response.status_code == 200
    assert response.data == logo
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=86400, immutable"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers

    hidden = client.get(f"/ob/images/{signature_id}")
    assert (hidden.status_code, hidden.data) == (404, b"")
