"""Trainer pages: start page, roster, assessments, signature list, exports and the audit page,
tried with every role. A refused request writes nothing."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from tests.support import written
from wirlearn.attendance.models import Attendance
from wirlearn.extensions import db
from wirlearn.programme.models import Module, Session


def form_of(html: str) -> dict[str, str]:
    """The hidden fields and checked radios of a rendered roster or assessment form."""
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        data[name] = value
    for match in re.finditer(r"<input type=\"radio\"[^>]*name=\"([^\"]+)\" value=\"([^\"]+)\" checked", html):
        data[match.group(1)] = match.group(2)
    return data


def pages(programme):
    main = programme["main"]
    return [
        f"/termine/{main.session_ids[0]}/anwesenheit",
        f"/termine/{main.session_ids[0]}/teilnahmeliste.pdf",
        f"/module/{main.module_ids[0]}/bewertungen",
        f"/training/reihen/{main.id}",
        f"/training/reihen/{main.id}/anwesenheit.csv",
        f"/training/reihen/{main.id}/bewertungen.xlsx",
    ]


def test_anonymous_visitors_are_sent_to_login(client, programme):
    for path in pages(programme) + ["/training", "/verwaltung/protokoll"]:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden"), path


@pytest.mark.parametrize("who", ["coordinator", "other_trainer"])
def test_coordinator_and_trainer_of_another_series_are_refused(app, client, login, request, programme, who):
    login(client, request.getfixturevalue(who))
    for path in pages(programme):
        assert client.get(path).status_code == 403, (who, path)
    assert client.get("/verwaltung/protokoll").status_code == 403
    coordinator = request.getfixturevalue("coordinator")
    main = programme["main"]
    response = client.post(
        f"/termine/{main.session_ids[0]}/anwesenheit", data={"version": "0", f"status-{coordinator.id}": "present"}
    )
    assert response.status_code == 403
    response = client.post(
        f"/module/{main.module_ids[0]}/bewertungen", data={"version": "0", f"result-{coordinator.id}": "passed"}
    )
    assert response.status_code == 403
    assert written(app) == (0, 0, 0)


@pytest.mark.parametrize("who", ["trainer", "admin"])
def test_trainer_of_the_series_and_admin_may_open_every_page(client, login, request, programme, who):
    login(client, request.getfixturevalue(who))
    for path in pages(programme):
        assert client.get(path).status_code == 200, (who, path)
    assert client.get("/training").status_code == 200


def test_trainer_cannot_work_on_a_session_of_another_series(app, client, login, trainer, other_coordinator, programme, factory):
    factory.enroll(programme["other"].id, other_coordinator)
    login(client, trainer)
    other_session = programme["other"].session_ids[0]
    response = client.post(
        f"/termine/{other_session}/anwesenheit", data={"version": "0", f"status-{other_coordinator.id}": "present"}
    )
    assert response.status_code == 403
    assert written(app) == (0, 0, 0)


def test_trainer_lands_on_the_start_page_with_sessions_and_counts(client, login, trainer, programme, factory):
    factory.series(trainers=(), coordinators=(), title="Fremde Reihe")
    login(client, trainer)
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/training"
    html = response.get_data(as_text=True)
    assert "Meine Termine" in html
    assert "0 von 2 erfasst" in html
    assert "Fremde Reihe" not in html


def test_admin_sees_every_series(client, login, admin, programme):
    login(client, admin)
    html = client.get("/training").get_data(as_text=True)
    assert html.count("Anwesenheit (Excel)") == 2
    detail = client.get(f"/verwaltung/reihen/{programme['main'].id}").get_data(as_text=True)
    assert f"/training/reihen/{programme['main'].id}" in detail


def test_overview_costs_a_fixed_number_of_queries(app, client, login, admin, factory, trainer):
    login(client, admin)

    def queries_for_overview():
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/training").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    factory.series(trainers=(trainer,), coordinators=(factory.user("coordinator"),))
    small = queries_for_overview()
    people = tuple(factory.user("coordinator") for _ in range(6))
    factory.series(
        trainers=(trainer,),
        coordinators=people,
        modules=({"title": "A"}, {"title": "B"}, {"title": "C"}),
        days=((-3, -2), (1, 2), (5,)),
    )
    assert queries_for_overview() == small


def test_roster_save_no_js_all_present_and_errors(
    app, client, login, trainer, coordinator, other_coordinator, programme, factory
):
    session_id = programme["main"].session_ids[0]
    login(client, trainer)
    html = client.get(f"/termine/{session_id}/anwesenheit").get_data(as_text=True)
    assert "Noch nicht erfasst." in html
    form = form_of(html)

    # Without JavaScript, "Alle anwesend" fills the open rows and saves nothing yet.
    response = client.post(
        f"/termine/{session_id}/anwesenheit", data=form | {"action": "all_present", f"note-{coordinator.id}": "früher weg"}
    )
    assert response.status_code == 200
    filled = response.get_data(as_text=True)
    assert f'id="status-{coordinator.id}-present" name="status-{coordinator.id}" value="present" checked' in filled
    assert 'value="früher weg"' in filled
    assert written(app) == (0, 0, 0)

    # An unknown status is refused with a German message; nothing is written.
    response = client.post(
        f"/termine/{session_id}/anwesenheit", data=form | {"action": "save", f"status-{coordinator.id}": "krank"}
    )
    assert response.status_code == 422
    assert "Unbekannter Status" in response.get_data(as_text=True)
    # A person who is not enrolled is refused, not ignored.
    stranger = factory.user("coordinator", name="Sven Fremd")
    response = client.post(
        f"/termine/{session_id}/anwesenheit",
        data=form | {"action": "save", f"status-{coordinator.id}": "present", f"status-{stranger.id}": "present"},
    )
    assert response.status_code == 422
    assert "nicht (mehr) eingeschrieben" in response.get_data(as_text=True)
    # A note without a status asks for the status.
    response = client.post(f"/termine/{session_id}/anwesenheit", data=form | {"action": "save", f"note-{coordinator.id}": "?"})
    assert response.status_code == 422
    assert "Bitte wählen Sie einen Status." in response.get_data(as_text=True)
    assert written(app) == (0, 0, 0)

    data = form | {
        "action": "save",
        f"status-{coordinator.id}": "present",
        f"status-{other_coordinator.id}": "late",
        f"note-{other_coordinator.id}": "Stau",
    }
    response = client.post(f"/termine/{session_id}/anwesenheit", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Anwesenheit gespeichert (2 geänderte Einträge)." in html
    assert "Zuletzt geändert von Tina Trainer am" in html
    assert written(app) == (2, 0, 2)
    # The same form again (double submit) records nothing more.
    response = client.post(f"/termine/{session_id}/anwesenheit", data=data, follow_redirects=True)
    assert "bereits gespeichert" in response.get_data(as_text=True)
    assert written(app) == (2, 0, 2)


def test_conflict_between_two_trainers_keeps_choices_and_allows_a_deliberate_save(
    app, login, trainer, factory, coordinator, other_coordinator, programme
):
    co_trainer = factory.user("trainer", name="Carla Kollegin")
    with app.app_context():
        from wirlearn.auth.models import User

        session = db.session.get(Session, programme["main"].session_ids[0])
        session.trainers.append(db.session.get(User, co_trainer.id))
        db.session.commit()
        session_id = session.id
    url = f"/termine/{session_id}/anwesenheit"
    first, second = app.test_client(), app.test_client()
    login(first, trainer)
    login(second, co_trainer)
    form_first = form_of(first.get(url).get_data(as_text=True))
    form_second = form_of(second.get(url).get_data(as_text=True))

    response = second.post(
        url,
        data=form_second
        | {"action": "save", f"status-{other_coordinator.id}": "excused", f"note-{other_coordinator.id}": "Attest"},
    )
    assert response.status_code == 302
    response = first.post(
        url,
        data=form_first | {"action": "save", f"status-{coordinator.id}": "present", f"status-{other_coordinator.id}": "absent"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Die Liste wurde inzwischen von Carla Kollegin geändert." in html
    assert "Đorđe Petrović</a>: jetzt <strong>entschuldigt</strong>" in html
    assert (
        'value="absent" checked' in html
        and f'id="status-{coordinator.id}-present" name="status-{coordinator.id}" value="present" checked' in html
    )
    assert written(app) == (1, 0, 1)
    # Saving the re-rendered form writes the first trainer's choices deliberately.
    response = first.post(url, data=form_of(html) | {"action": "save"})
    assert response.status_code == 302
    with app.app_context():
        statuses = dict(db.session.execute(select(Attendance.enrollment_id, Attendance.status)).all())
    assert sorted(statuses.values()) == ["absent", "present"]
    assert written(app) == (2, 0, 3)


def test_assessment_page_records_and_keeps_history(app, client, login, trainer, admin, coordinator, other_coordinator, programme):
    pass_fail, points = programme["main"].module_ids
    login(client, trainer)
    url = f"/module/{points}/bewertungen"
    form = form_of(client.get(url).get_data(as_text=True))
    response = client.post(url, data=form | {f"points-{coordinator.id}": "101"})
    assert response.status_code == 422
    assert "Die Punkte müssen zwischen 0 und 100 liegen." in response.get_data(as_text=True)
    response = client.post(url, data=form | {f"points-{coordinator.id}": "abc"})
    assert "als Zahl" in response.get_data(as_text=True)
    response = client.post(url, data=form | {"assessed_on": "2999-01-01", f"points-{coordinator.id}": "80"})
    assert "Zukunft" in response.get_data(as_text=True)
    response = client.post(url, data=form | {"assessed_on": "kein Datum", f"points-{coordinator.id}": "80"})
    assert response.status_code == 422
    assert written(app) == (0, 0, 0)
    response = client.post(
        url, data=form | {f"points-{coordinator.id}": "59,5", f"feedback-{coordinator.id}": "Knapp"}, follow_redirects=True
    )
    assert "Bewertungen gespeichert (1 neu erfasst)." in response.get_data(as_text=True)

    url = f"/module/{pass_fail}/bewertungen"
    form = form_of(client.get(url).get_data(as_text=True))
    client.post(url, data=form | {f"result-{other_coordinator.id}": "failed"})
    form = form_of(client.get(url).get_data(as_text=True))
    client.post(url, data=form | {f"result-{other_coordinator.id}": "passed", f"feedback-{other_coordinator.id}": "Nachgereicht"})
    client.post("/abmelden")
    login(client, admin)
    html = client.get(url).get_data(as_text=True)
    assert "Verlauf: 1 frühere Bewertung" in html
    assert written(app) == (0, 3, 3)


def test_signature_list_pdf_prints_names_with_their_letters(client, login, trainer, programme, tmp_path):
    login(client, trainer)
    response = client.get(f"/termine/{programme['main'].session_ids[0]}/teilnahmeliste.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    path = tmp_path / "liste.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Teilnahmeliste mit Unterschriften" in text
    assert "Ayşe Yılmaz" in text and "Đorđe Petrović" in text
    assert "Tina Trainer" in text and "Unterschrift" in text


def test_exports_for_excel(client, login, trainer, coordinator, programme, app):
    from wirlearn.attendance.services import Entry, save_roster

    with app.app_context():
        save_roster(programme["main"].session_ids[0], 0, {coordinator.id: Entry("late", '=HYPERLINK("x")')}, actor_id=trainer.id)
        db.session.commit()
    login(client, trainer)
    series_id = programme["main"].id
    response = client.get(f"/training/reihen/{series_id}/anwesenheit.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Name", "E-Mail", "Gebietskörperschaft"]
    assert len(rows) == 1 + 2 * 4  # two participants × four sessions
    late = next(row for row in rows if row[9] == "late")
    assert late[0] == "Ayşe Yılmaz" and late[8] == "verspätet" and late[10] == '\'=HYPERLINK("x")'
    response = client.get(f"/training/reihen/{series_id}/bewertungen.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "Name"
    assert client.get(f"/training/reihen/{series_id}/anwesenheit.pdf").status_code == 404
    assert client.get("/training/reihen/999999/anwesenheit.csv").status_code == 404


def test_audit_page_filters(app, client, login, admin, trainer, coordinator, other_coordinator, programme):
    from wirlearn.assessments.services import AssessmentEntry, save_assessments
    from wirlearn.attendance.services import Entry, save_roster

    main = programme["main"]
    with app.app_context():
        save_roster(
            main.session_ids[0], 0, {coordinator.id: Entry("present"), other_coordinator.id: Entry("absent")}, actor_id=trainer.id
        )
        save_assessments(main.module_ids[0], {coordinator.id: AssessmentEntry("passed")}, actor_id=admin.id)
        db.session.commit()
        module_id = db.session.scalar(select(Module.id).where(Module.id == main.module_ids[0]))
    login(client, admin)
    html = client.get(f"/verwaltung/protokoll?reihe={main.id}").get_data(as_text=True)
    assert "3 Einträge" in html
    assert "1 Eintrag" in client.get(f"/verwaltung/protokoll?person={other_coordinator.id}").get_data(as_text=True)
    assert "2 Einträge" in client.get(f"/verwaltung/protokoll?termin={main.session_ids[0]}").get_data(as_text=True)
    html = client.get(f"/verwaltung/protokoll?modul={module_id}&wer={admin.id}").get_data(as_text=True)
    assert "1 Eintrag" in html and "Bewertung erfasst" in html
    assert "Keine Einträge" in client.get("/verwaltung/protokoll?von=2000-01-01&bis=2000-01-02").get_data(as_text=True)
    html = client.get("/verwaltung/protokoll?von=gestern").get_data(as_text=True)
    assert "Bitte ein gültiges Datum angeben." in html
    assert client.get("/verwaltung/protokoll?aktion=attendance.recorded").status_code == 200


def test_ids_beyond_the_database_range_are_404_not_a_database_error(client, login, admin):
    login(client, admin)
    assert client.get(f"/termine/{2**31}/anwesenheit").status_code == 404
    assert client.get(f"/module/{2**40}/bewertungen").status_code == 404
    assert client.get(f"/termine/{2**31 - 1}/anwesenheit").status_code == 404
