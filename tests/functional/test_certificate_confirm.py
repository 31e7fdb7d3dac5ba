"""Before a batch of certificates is signed the admin sees how many and for whom, and confirms;
only the people confirmed get one."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixtures
from wirlearn.certificates.models import Certificate
from wirlearn.extensions import db


def certificate_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def test_the_batch_button_leads_to_a_confirmation_with_count_and_names(
    app, client, login, admin, programme, coordinator, other_coordinator
):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    login(client, admin)
    page = client.get(f"/verwaltung/reihen/{series.id}/zertifikate").get_data(as_text=True)
    # A link to the confirmation, no form that signs at one tap.
    assert f'href="/verwaltung/reihen/{series.id}/zertifikate/alle"' in page
    assert f'action="/verwaltung/reihen/{series.id}/zertifikate/alle"' not in page

    confirm = client.get(f"/verwaltung/reihen/{series.id}/zertifikate/alle")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Für diese 2 Personen werden Zertifikate ausgestellt" in text
    assert text.index("Ayşe Yılmaz") < text.index("Đorđe Petrović")
    assert "Ja, 2 Zertifikate ausstellen" in text
    assert certificate_count(app) == 0  # looking signs nothing


def test_only_the_confirmed_people_get_a_certificate(app, client, login, admin, programme, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    login(client, admin)
    confirmed = enrollment_id(app, series, coordinator)
    # Someone else becomes eligible while the confirmation page is open.
    make_eligible(app, series, other_coordinator)
    page = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle", data={"enrollment_id": [str(confirmed)]})
    text = page.get_data(as_text=True)
    assert "Fertig: 1 ausgestellt, 0 nicht ausgestellt." in text
    assert "Đorđe Petrović" not in text
    with app.app_context():
        assert db.session.scalars(select(Certificate.enrollment_id)).all() == [confirmed]


def test_nonsense_in_the_confirmed_list_issues_nothing(app, client, login, admin, programme, coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    login(client, admin)
    for junk in (["abc"], ["99999999999999999999999"], ["-1"]):
        response = client.post(f"/verwaltung/reihen/{series.id}/zertifikate/alle", data={"enrollment_id": junk})
        assert response.status_code == 200
        assert "Fertig: 0 ausgestellt, 0 nicht ausgestellt." in response.get_data(as_text=True)
    assert certificate_count(app) == 0


def test_confirmation_when_nobody_waits(app, client, login, admin, programme):
    login(client, admin)
    text = client.get(f"/verwaltung/reihen/{programme['main'].id}/zertifikate/alle").get_data(as_text=True)
    assert "Niemand wartet auf ein Zertifikat" in text


def test_missing_conditions_are_called_conditions(app, client, login, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator, skip_module=0)
    login(client, admin)
    page = client.get(f"/verwaltung/reihen/{programme['main'].id}/zertifikate").get_data(as_text=True)
    assert "1 Bedingung fehlt" in page
    assert "Punkt fehlt" not in page
