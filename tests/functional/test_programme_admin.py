from datetime import date

from sqlalchemy import func, select

from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session

SERIES_FORM = {
    "title": "Neue Reihe",
    "provider": "Institut",
    "certificate_title": "Zertifikat X",
    "start_date": "2027-01-10",
    "end_date": "31.12.2027",
    "min_attendance_percent": "75",
    "late_counts": "y",
}


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_sets_up_a_programme_in_the_browser_forms(app, client, login, admin, trainer, coordinator):
    login(client, admin)
    response = client.post("/verwaltung/reihen/neu", data=SERIES_FORM)
    assert response.status_code == 302
    with app.app_context():
        series = db.session.scalars(select(Series)).one()
        assert series.end_date == date(2027, 12, 31)
        assert series.min_attendance_percent == 75 and series.late_counts and not series.excused_counts
        series_id = series.id
    assert (
        client.post(
            f"/verwaltung/reihen/{series_id}/module/neu",
            data={"title": "Modul A", "teaching_units": "16", "required": "y", "assessment_kind": "pass_fail"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/verwaltung/reihen/{series_id}/module/neu",
            data={"title": "Modul B", "teaching_units": "8", "assessment_kind": "points", "max_points": "100", "pass_mark": "60"},
        ).status_code
        == 302
    )
    with app.app_context():
        first, second = db.session.scalars(select(Module).order_by(Module.position)).all()
        assert (first.title, second.title) == ("Modul A", "Modul B")
        assert not second.required and second.pass_mark == 60
        first_id, second_id = first.id, second.id
    client.post(f"/verwaltung/module/{second_id}/verschieben", data={"richtung": "hoch"})
    with app.app_context():
        assert [m.title for m in db.session.scalars(select(Module).order_by(Module.position))] == ["Modul B", "Modul A"]
    response = client.post(
        f"/verwaltung/module/{first_id}/termine/neu",
        data={
            "date": "2027-02-01",
            "start_time": "09:30",
            "end_time": "16:30",
            "place": "Wiesbaden",
            "trainer_ids": [str(trainer.id)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalars(select(Session)).one()
        assert [t.id for t in session.trainers] == [trainer.id]
    response = client.post(f"/verwaltung/reihen/{series_id}/teilnehmende", data={"user_ids": [str(coordinator.id)]})
    assert response.status_code == 302
    with app.app_context():
        enrollment = db.session.scalars(select(Enrollment)).one()
        assert enrollment.user_id == coordinator.id and enrollment.status == "active"
        enrollment_id = enrollment.id
    client.post(f"/verwaltung/einschreibungen/{enrollment_id}/status", data={"status": "withdrawn"})
    with app.app_context():
        assert db.session.get(Enrollment, enrollment_id).status == "withdrawn"
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"series.created", "module.created", "session.created", "enrollment.created", "enrollment.status_changed"} <= actions


def test_series_form_errors_are_german_and_write_nothing(app, client, login, admin):
    login(client, admin)
    cases = [
        ({**SERIES_FORM, "title": ""}, "Bitte füllen Sie dieses Feld aus."),
        ({**SERIES_FORM, "min_attendance_percent": "120"}, "von 0 bis 100"),
        ({**SERIES_FORM, "min_attendance_percent": "achtzig"}, "ganze Zahl"),
        ({**SERIES_FORM, "end_date": "2026-01-01"}, "nicht vor dem Beginn"),
        ({**SERIES_FORM, "start_date": "32.13.2027"}, "Bitte ein Datum eingeben"),
    ]
    for data, message in cases:
        response = client.post("/verwaltung/reihen/neu", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
    assert count(app, Series) == 0


def test_session_and_module_validation(app, client, login, admin, factory):
    ref = factory.series()
    login(client, admin)
    module_id = ref.module_ids[0]
    before = count(app, Session)
    response = client.post(
        f"/verwaltung/module/{module_id}/termine/neu", data={"date": "2027-02-01", "start_time": "16:00", "end_time": "09:00"}
    )
    assert "Das Ende muss nach dem Beginn liegen." in response.get_data(as_text=True)
    response = client.post(
        f"/verwaltung/module/{module_id}/termine/neu",
        data={"date": "2027-02-01", "start_time": "09:00", "end_time": "10:00", "trainer_ids": ["99999"]},
    )
    assert "Ungültige Auswahl" in response.get_data(as_text=True)
    assert count(app, Session) == before
    response = client.post(
        f"/verwaltung/reihen/{ref.id}/module/neu",
        data={"title": "P", "teaching_units": "4", "assessment_kind": "points", "max_points": "10", "pass_mark": "11"},
    )
    assert "nicht über der Höchstpunktzahl" in response.get_data(as_text=True)


def test_enrolling_a_non_coordinator_is_refused(app, client, login, admin, trainer, factory):
    ref = factory.series()
    login(client, admin)
    response = client.post(f"/verwaltung/reihen/{ref.id}/teilnehmende", data={"user_ids": [str(trainer.id)]})
    assert response.status_code == 200
    assert count(app, Enrollment) == 0


def test_regions_are_editable(app, client, login, admin, factory):
    region_id = factory.region_id("Kassel")
    login(client, admin)
    response = client.post(
        f"/verwaltung/regionen/{region_id}",
        data={"name": "Kassel", "kind": "kreisfreie Stadt", "code": "abc", "regierungsbezirk": "Kassel"},
    )
    assert "nur aus Ziffern" in response.get_data(as_text=True)
    response = client.post(
        f"/verwaltung/regionen/{region_id}",
        data={"name": "Stadt Kassel", "kind": "kreisfreie Stadt", "code": "06611", "regierungsbezirk": "Kassel"},
    )
    assert response.status_code == 302
