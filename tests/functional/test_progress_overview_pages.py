"""The programme overview shows 50 participants per page (so it renders as fast for a series of
10,000 as for 30); counts, filters, sorting and the download still cover everyone."""

from __future__ import annotations

import re

import pytest

from bench.generator import generate_programme
from wirlearn.auth.passwords import hash_password
from wirlearn.core.collation import sort_key
from wirlearn.extensions import db
from wirlearn.progress.overview import PER_PAGE

PASSWORD = "seitenweise-und-geheim"


@pytest.fixture
def big(app, client):
    with app.app_context():
        programme = generate_programme(120, password_hash=hash_password(PASSWORD))
        db.session.commit()
    response = client.post("/anmelden", data={"email": programme.admin_email, "password": PASSWORD})
    assert response.status_code == 302
    return programme


def names_on(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="kern-table__cell[^"]*"><a class="kern-link" href="[^"]+">([^<]+)</a>', html)


def test_overview_pages_through_participants(client, big):
    url = f"/programm/reihen/{big.series_id}"
    first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    third = client.get(f"{url}?page=3").get_data(as_text=True)
    pages = [names_on(first), names_on(second), names_on(third)]
    assert [len(names) for names in pages] == [PER_PAGE, PER_PAGE, 120 - 2 * PER_PAGE]
    # Sorted by name (German order, core.collation) across pages, nobody twice.
    everyone = [name for names in pages for name in names]
    assert len(everyone) == 120
    assert everyone == sorted(everyone, key=sort_key)
    # Counts still cover the whole series; the navigation says where one is.
    assert "120 Teilnehmende" in first
    assert "Seite 1 von 3" in first and "Seite 3 von 3" in third
    assert f'href="{url}?page=2"' in first
    assert "Weiter" not in third
    # A page past the end shows the last one; nonsense shows the first.
    assert names_on(client.get(f"{url}?page=99").get_data(as_text=True)) == pages[2]
    assert names_on(client.get(f"{url}?page=abc").get_data(as_text=True)) == pages[0]


def test_overview_pages_keep_filters_and_sorting(client, big):
    url = f"/programm/reihen/{big.series_id}?status=open&sort=attendance&richtung=ab"
    first = client.get(url).get_data(as_text=True)
    shown = int(re.search(r"(\d+) von 120 Teilnehmenden angezeigt", first).group(1))
    assert shown > PER_PAGE  # most of a running series is still open
    link = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "status=open" in link and "sort=attendance" in link and "richtung=ab" in link
    second = client.get(link).get_data(as_text=True)
    assert len(names_on(first)) == PER_PAGE
    assert len(names_on(second)) == min(PER_PAGE, shown - PER_PAGE)
    assert f"Seite 2 von {-(-shown // PER_PAGE)}" in second


def test_overview_download_holds_every_filtered_participant(client, big):
    response = client.get(f"/programm/reihen/{big.series_id}/export.csv")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + 120
