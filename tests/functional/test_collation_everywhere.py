"""The same people appear in the same German order on every list: enrolment, certificates,
programme overview, roll call, the exports and the filter of the audit log."""

from __future__ import annotations

import re

import pytest

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures

NAMES = ["Zoë Zimmer", "Đorđe Petrović", "Ayşe Yılmaz", "Özlem Öztürk", "Dana Dorn", "Ben Becker"]
EXPECTED = ["Ayşe Yılmaz", "Ben Becker", "Dana Dorn", "Đorđe Petrović", "Özlem Öztürk", "Zoë Zimmer"]


@pytest.fixture
def people_series(factory, trainer):
    people = [factory.user("coordinator", email=f"c{i}@example.org", name=name, region="Kassel") for i, name in enumerate(NAMES)]
    return factory.series(trainers=(trainer,), coordinators=tuple(people))


def order_in(text: str) -> list[str]:
    """The names in the order they first appear in ``text``."""
    found = sorted((text.index(name), name) for name in EXPECTED if name in text)
    return [name for _at, name in found]


def test_every_list_sorts_people_the_same_german_way(client, login, admin, trainer, people_series):
    login(client, admin)
    series_id = people_series.id
    pages = {
        "enrolment": f"/verwaltung/reihen/{series_id}/teilnehmende",
        "certificates": f"/verwaltung/reihen/{series_id}/zertifikate",
        "overview": f"/programm/reihen/{series_id}",
        "overview by region": f"/programm/reihen/{series_id}?sort=region",
        "overview export": f"/programm/reihen/{series_id}/export.csv",
        "roll call": f"/termine/{people_series.session_ids[0]}/anwesenheit",
        "attendance export": f"/training/reihen/{series_id}/anwesenheit.csv",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        assert order_in(response.get_data(as_text=True)) == EXPECTED, name


def test_region_choices_follow_the_german_order(client, login, admin, factory):
    factory.region_id()  # the Hessian regions
    login(client, admin)
    page = client.get("/verwaltung/nutzer/neu").get_data(as_text=True)
    regions = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page)
    assert len(regions) > 20
    from wirlearn.core.collation import sort_key

    assert regions == sorted(regions, key=sort_key)
