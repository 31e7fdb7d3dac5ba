"""Late enrolment: sessions held before someone's enrolment count neither way unless the
series says so; enrolling after sessions were held tells the admin what it means."""

from __future__ import annotations

from tests.support import bearer
from wirlearn.extensions import db
from wirlearn.programme.models import Series
from wirlearn.progress.services import progress_for_enrollment


def _held_series(factory, client, trainer, coordinator, **values):
    """Four sessions: three held and recorded (the coordinator present), one next week."""
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,), days=((-20, -10), (-5, 7)), **values)
    headers = bearer(client, trainer)
    for session_id in series.session_ids[:3]:
        saved = client.put(
            f"/api/v1/sessions/{session_id}/attendance",
            headers=headers,
            json={"version": 0, "records": [{"user_id": coordinator.id, "status": "present"}]},
        )
        assert saved.status_code == 200
    return series


def test_sessions_before_the_enrolment_count_neither_way_by_default(app, client, factory, trainer, coordinator):
    series = _held_series(factory, client, trainer, coordinator, min_attendance_percent=75)
    late = factory.user("coordinator", name="Lena Spät")
    enrollment_id = factory.enroll(series.id, late)  # enrolled today, after three held sessions
    with app.app_context():
        progress = progress_for_enrollment(enrollment_id)
        early = progress_for_enrollment(enrollment_id - 1)
    assert (progress.sessions_held, progress.sessions_upcoming) == (0, 1)
    assert progress.attendance_met and progress.reachable
    assert (early.sessions_held, early.sessions_attended) == (3, 3)  # on time: as before

    with app.app_context():
        db.session.get(Series, series.id).sessions_before_enrollment_count = True
        db.session.commit()
        counted = progress_for_enrollment(enrollment_id)
    assert (counted.sessions_held, counted.sessions_attended) == (3, 0)
    assert not counted.reachable  # 1 of 4 at best, 75 % needed
    assert any("nicht mehr erreichbar" in item for item in counted.missing)


def test_a_status_recorded_before_the_enrolment_still_counts(app, client, factory, trainer, coordinator):
    series = _held_series(factory, client, trainer, coordinator)
    late = factory.user("coordinator", name="Gast Person")
    enrollment_id = factory.enroll(series.id, late)
    saved = client.put(
        f"/api/v1/sessions/{series.session_ids[2]}/attendance",
        headers=bearer(client, trainer),
        json={"version": 1, "records": [{"user_id": late.id, "status": "present"}]},
    )
    assert saved.status_code == 200
    with app.app_context():
        progress = progress_for_enrollment(enrollment_id)
    assert (progress.sessions_held, progress.sessions_attended) == (1, 1)


def test_enrolling_late_tells_the_admin(app, client, login, factory, admin, trainer, coordinator):
    series = _held_series(factory, client, trainer, coordinator, min_attendance_percent=75)
    late = factory.user("coordinator", name="Lena Spät")
    login(client, admin)
    response = client.post(
        f"/verwaltung/reihen/{series.id}/teilnehmende", data={"user_ids": [str(late.id)]}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Lena Spät: 3 Termine fanden vor der Einschreibung statt (zählen weder dafür noch dagegen)." in page
    assert "Die Mindestanwesenheit ist noch erreichbar." in page

    with app.app_context():
        db.session.get(Series, series.id).sessions_before_enrollment_count = True
        db.session.commit()
    other = factory.user("coordinator", name="Paul Spät")
    page = client.post(
        f"/verwaltung/reihen/{series.id}/teilnehmende", data={"user_ids": [str(other.id)]}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Paul Spät: 3 Termine fanden vor der Einschreibung statt (zählen als versäumt)." in page
    assert "Die Mindestanwesenheit ist nicht mehr erreichbar." in page


def test_enrolling_on_time_says_nothing_more(client, login, factory, admin, trainer):
    series = factory.series(trainers=(trainer,), days=((3,), (7,)))
    person = factory.user("coordinator", name="Pünktlich Person")
    login(client, admin)
    page = client.post(f"/verwaltung/reihen/{series.id}/teilnehmende", data={"user_ids": [str(person.id)]}, follow_redirects=True)
    assert "vor der Einschreibung" not in page.get_data(as_text=True)
