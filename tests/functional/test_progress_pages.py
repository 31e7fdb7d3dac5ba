"""The coordinator dashboard, the programme overview, the participant page, the downloads and
the coordinator's own data export: what each role sees, and what it does not."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.progress_data import add_certificate, enrollment_id, record
from wirlearn.assessments.models import Assessment
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment


@pytest.fixture
def main_series(programme):
    return programme["main"]


# -- start pages and navigation ----------------------------------------------------------------


def test_start_pages(client, login, admin, coordinator, programme):
    login(client, coordinator)
    assert client.get("/").headers["Location"] == "/mein-fortschritt"
    client.post("/abmelden")
    login(client, admin)
    assert client.get("/").headers["Location"] == "/programm"
    page = client.get("/programm").get_data(as_text=True)
    assert 'aria-current="page">Programmübersicht</a>' in page


def test_series_page_links_to_the_overview(client, login, admin, main_series):
    login(client, admin)
    page = client.get(f"/verwaltung/reihen/{main_series.id}").get_data(as_text=True)
    assert f'href="/programm/reihen/{main_series.id}"' in page
    overview = client.get(f"/programm/reihen/{main_series.id}").get_data(as_text=True)
    assert 'aria-current="page">Programmübersicht</a>' in overview


# -- coordinator dashboard ---------------------------------------------------------------------


def test_dashboard_shows_own_progress_missing_items_and_upcoming_sessions(
    app, client, login, factory, coordinator, other_coordinator
):
    series = factory.series(
        coordinators=(coordinator, other_coordinator),
        days=((-30, -29), (-10, 7)),
    )
    first, second = series.module_ids
    held = series.sessions_by_module[first] + series.sessions_by_module[second][:1]
    record(
        app, series, coordinator, statuses={held[0]: "present", held[1]: "absent", held[2]: "present"}, results={first: "passed"}
    )
    record(app, series, other_coordinator, results={first: "failed"})
    login(client, coordinator)
    response = client.get("/mein-fortschritt")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mein Fortschritt" in page
    assert "66\u00a0%" in page  # 2 of 3
    assert "2 von 3 Terminen besucht" in page
    assert "Anwesenheit 66\u00a0% – mindestens 80\u00a0% nötig" in page
    assert "Modul 2: 1 Termin und die Bewertung stehen noch aus" in page
    upcoming = local_today() + timedelta(days=7)
    assert f"{upcoming:%Y}" in page and "Raum 1" in page
    assert "noch nicht erreicht" in page  # certificate card
    assert "Zug fiel aus" in page  # the coordinator's own attendance note
    # Nothing of the other coordinator.
    assert other_coordinator.display_name not in page
    assert "nicht bestanden" not in page


def test_dashboard_certificate_card_states(app, client, login, factory, coordinator):
    series = factory.series(coordinators=(coordinator,))
    enrollment = record(app, series, coordinator)
    login(client, coordinator)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert "Alle Bedingungen für das Zertifikat sind erfüllt." in page
    assert "alle Bedingungen erfüllt" in page
    add_certificate(app, enrollment, status="revoked")
    add_certificate(app, enrollment)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert "ausgestellt" in page
    assert f"Ausgestellt am {local_today():%d.%m.%Y}" in page


def test_dashboard_without_enrollment_and_for_withdrawn(app, client, login, factory, coordinator):
    login(client, coordinator)
    assert "noch in keiner Qualifizierungsreihe eingeschrieben" in client.get("/mein-fortschritt").get_data(as_text=True)
    series = factory.series(coordinators=())
    factory.enroll(series.id, coordinator, status="withdrawn")
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert "Ausgeschieden: Die Teilnahme an dieser Reihe ist beendet." in page
    assert "Nach dem Ausscheiden ist kein Zertifikat möglich." in page


def test_dashboard_is_for_coordinators(client, login, admin, trainer):
    for user in (admin, trainer):
        login(client, user)
        assert client.get("/mein-fortschritt").status_code == 403
        client.post("/abmelden")


# -- right of access ---------------------------------------------------------------------------


def test_my_data_export_holds_own_data_only(app, client, login, factory, coordinator, other_coordinator):
    series = factory.series(coordinators=(coordinator, other_coordinator))
    mine = record(app, series, coordinator)
    theirs = record(app, series, other_coordinator)
    add_certificate(app, mine)
    add_certificate(app, theirs)
    assert client.get("/meine-daten.json").status_code == 302  # sign in first
    login(client, coordinator)
    response = client.get("/meine-daten.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == coordinator.email
    assert data["profile"]["region"]["name"] == "Darmstadt"
    assert [item["id"] for item in data["enrollments"]] == [mine]
    assert {item["enrollment_id"] for item in data["attendance"]} == {mine}
    assert len(data["attendance"]) == 4 and data["attendance"][0]["note"] == "Zug fiel aus"
    assert {item["enrollment_id"] for item in data["assessments"]} == {mine}
    assert [item["enrollment_id"] for item in data["certificates"]] == [mine]
    text = response.get_data(as_text=True)
    assert other_coordinator.email not in text and other_coordinator.display_name not in text
    for secret in ("password_hash", "totp_secret", "session_nonce", "recorded_by"):
        assert secret not in text


# -- programme overview ------------------------------------------------------------------------


def test_overview_counts_matrix_and_filters(app, client, login, factory, admin, trainer):
    a = factory.user("coordinator", name="Anna Arnold", region="Darmstadt")
    b = factory.user("coordinator", name="Bernd Brandt", region="Kassel")
    c = factory.user("coordinator", name="Cem Celik", region="Landkreis Kassel")
    d = factory.user("coordinator", name="Dana Dorn", region="Fulda")
    series = factory.series(trainers=(trainer,), coordinators=(a, b, c, d))
    first, second = series.module_ids
    eligible = record(app, series, a)
    record(app, series, b, results={first: "passed", second: "failed"})
    record(app, series, c, statuses=dict.fromkeys(series.session_ids, "absent"))
    with app.app_context():
        db.session.get(Enrollment, enrollment_id(app, series, d)).status = "withdrawn"
        db.session.commit()
    add_certificate(app, eligible)

    login(client, admin)
    page = client.get(f"/programm/reihen/{series.id}").get_data(as_text=True)
    assert "4 von 33" in page  # regions with a coordinator in this series
    assert "davon 1 ausgeschieden" in page
    assert "Odenwaldkreis" in page  # listed among the regions without a coordinator
    for name in ("Anna Arnold", "Bernd Brandt", "Cem Celik", "Dana Dorn"):
        assert name in page
    assert "Modul 2: nicht bestanden" in page
    assert "Mindestanwesenheit nicht erreichbar" in page
    assert "zertifiziert" in page

    def names(query: str) -> list[str]:
        html = client.get(f"/programm/reihen/{series.id}?{query}").get_data(as_text=True)
        return [name for name in ("Anna Arnold", "Bernd Brandt", "Cem Celik", "Dana Dorn") if f">{name}</a>" in html]

    kassel = factory.region_id("Kassel")
    assert names(f"region={kassel}") == ["Bernd Brandt"]
    assert names("bezirk=Kassel") == ["Bernd Brandt", "Cem Celik", "Dana Dorn"]
    assert names("status=unreachable") == ["Cem Celik"]
    assert names("status=open") == ["Bernd Brandt"]
    assert names("status=certified") == ["Anna Arnold"]
    assert names("status=withdrawn") == ["Dana Dorn"]
    html = client.get(f"/programm/reihen/{series.id}?bezirk=Kassel&status=open").get_data(as_text=True)
    assert "1 von 4 Teilnehmenden angezeigt" in html

    # Sorting: by status puts who falls behind first; descending by name reverses.
    html = client.get(f"/programm/reihen/{series.id}?sort=status").get_data(as_text=True)
    assert html.index(">Cem Celik<") < html.index(">Bernd Brandt<") < html.index(">Anna Arnold<") < html.index(">Dana Dorn<")
    assert 'aria-sort="ascending"' in html
    html = client.get(f"/programm/reihen/{series.id}?sort=name&richtung=ab").get_data(as_text=True)
    assert html.index(">Dana Dorn<") < html.index(">Anna Arnold<")
    assert 'aria-sort="descending"' in html


def test_overview_refuses_a_bad_filter_with_a_message_and_shows_everyone(client, login, admin, main_series):
    login(client, admin)
    response = client.get(f"/programm/reihen/{main_series.id}?status=erfunden&region=999999&sort=gehalt")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("Keine gültige Auswahl.") == 3  # or WTForms' own wording for a choice
    assert "Ayşe Yılmaz" in page and "Đorđe Petrović" in page


def test_overview_for_trainers_shows_their_series_only(client, login, trainer, other_trainer, main_series, programme):
    other = programme["other"]
    login(client, trainer)
    page = client.get("/programm").get_data(as_text=True)
    assert "Ayşe Yılmaz" in page
    assert client.get(f"/programm/reihen/{main_series.id}").status_code == 200
    assert client.get(f"/programm/reihen/{other.id}").status_code == 403
    assert client.get(f"/programm/reihen/{other.id}/export.csv").status_code == 403
    client.post("/abmelden")
    login(client, other_trainer)
    assert client.get(f"/programm/reihen/{main_series.id}").status_code == 403
    page = client.get("/programm").get_data(as_text=True)
    assert "Ayşe Yılmaz" not in page


def test_overview_without_series(client, login, admin, trainer):
    login(client, admin)
    assert "Es gibt noch keine Qualifizierungsreihe." in client.get("/programm").get_data(as_text=True)
    client.post("/abmelden")
    login(client, trainer)
    assert "noch keinem Termin einer Reihe als Trainer/in zugeordnet" in client.get("/programm").get_data(as_text=True)


def test_overview_is_not_for_coordinators(client, login, coordinator, main_series):
    login(client, coordinator)
    assert client.get("/programm").status_code == 403
    assert client.get(f"/programm/reihen/{main_series.id}").status_code == 403
    assert client.get(f"/programm/reihen/{main_series.id}/export.csv").status_code == 403


def test_unknown_series_is_404(client, login, admin):
    login(client, admin)
    assert client.get("/programm/reihen/999999").status_code == 404
    assert client.get("/programm/reihen/999999/export.csv").status_code == 404


def test_overview_charts_have_text_alternatives(app, client, login, admin, coordinator, main_series):
    record(app, main_series, coordinator)
    login(client, admin)
    page = client.get(f"/programm/reihen/{main_series.id}").get_data(as_text=True)
    assert page.count('role="img"') == 2
    assert '<title id="chart-module-title">Abschluss je Modul</title>' in page
    assert "Anwesenheit je Termin" in page
    assert "1 von 2" in page  # table alternative: attended of expected per session
    assert "style=" not in page  # CSP: no inline styles


# -- participant page --------------------------------------------------------------------------


def test_participant_page(app, client, login, admin, trainer, other_trainer, coordinator, main_series):
    enrollment = record(app, main_series, coordinator, results={main_series.module_ids[0]: "failed"})
    with app.app_context():
        db.session.add(
            Assessment(
                module_id=main_series.module_ids[0],
                enrollment_id=enrollment,
                attempt=2,
                result="passed",
                assessed_on=date.today(),
            )
        )
        db.session.commit()
    for user in (admin, trainer):
        login(client, user)
        page = client.get(f"/programm/teilnahmen/{enrollment}").get_data(as_text=True)
        assert "Ayşe Yılmaz" in page and "Darmstadt" in page
        assert "Modul 2: Bewertung steht noch aus" in page
        assert "Alle Bewertungen" in page and "2. Versuch" in page
        client.post("/abmelden")
    login(client, other_trainer)
    assert client.get(f"/programm/teilnahmen/{enrollment}").status_code == 403
    client.post("/abmelden")
    login(client, coordinator)
    assert client.get(f"/programm/teilnahmen/{enrollment}").status_code == 403
    client.post("/abmelden")
    login(client, admin)
    assert client.get("/programm/teilnahmen/999999").status_code == 404


# -- downloads ---------------------------------------------------------------------------------


def test_overview_downloads_as_csv_and_xlsx_with_filters(
    app, client, login, factory, admin, main_series, coordinator, other_coordinator
):
    evil = factory.user("coordinator", name='=HYPERLINK("http://evil.example")', region="Fulda")
    factory.enroll(main_series.id, evil)
    record(app, main_series, coordinator)
    login(client, admin)
    response = client.get(f"/programm/reihen/{main_series.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Fortschritt-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Name", "Gebietskörperschaft", "Regierungsbezirk", "Status", "Anwesenheit (%)"]
    assert "Modul 2: Punkte" in rows[0]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Ayşe Yılmaz"][3] == "Zertifikat möglich"
    assert by_name["Ayşe Yılmaz"][4] == "100"
    assert '\'=HYPERLINK("http://evil.example")' in by_name
    filtered = client.get(f"/programm/reihen/{main_series.id}/export.csv?region={coordinator.region_id}")
    assert [row[0] for row in csv.reader(io.StringIO(filtered.get_data().decode("utf-8-sig")), delimiter=";")][1:] == [
        "Ayşe Yılmaz"
    ]

    response = client.get(f"/programm/reihen/{main_series.id}/export.xlsx?sort=name")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.values)
    assert values[0][0] == "Name"
    names = [row[0] for row in values[1:]]
    assert "Ayşe Yılmaz" in names and "Đorđe Petrović" in names
    assert all(not (isinstance(name, str) and name.startswith("=")) for name in names)
    assert client.get(f"/programm/reihen/{main_series.id}/export.pdf").status_code == 404


def test_pages_in_english(app, client, login, admin, coordinator, main_series):
    record(app, main_series, coordinator, results={main_series.module_ids[0]: "failed"})
    client.post("/sprache", data={"lang": "en"})
    login(client, coordinator)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert "My progress" in page and "What is still missing" in page
    assert "Module 1: not passed" in page and "Module 2: assessment still pending" in page
    client.post("/abmelden")
    client.post("/sprache", data={"lang": "en"})
    login(client, admin)
    page = client.get(f"/programm/reihen/{main_series.id}").get_data(as_text=True)
    assert "Programme overview" in page and "Completion per module" in page
