"""Progress as loaded from the database: the series' own rules decide, participants come in name
order with their region, and a list of enrollments gives exactly their progress."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wirlearn.attendance.models import Attendance
from wirlearn.extensions import db
from wirlearn.progress import services


def record(app, series, enrollment_id: int, statuses: list[str]) -> None:
    """One status per session of ``series``, in session order."""
    with app.app_context():
        for session_id, status in zip(series.session_ids, statuses, strict=True):
            db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment_id, status=status))
        db.session.commit()


def test_the_series_rules_decide_what_counts_as_attended(app, factory):
    person = factory.user("coordinator", name="Ayşe Yılmaz", region="Kassel")
    series = factory.series(
        coordinators=(), min_attendance_percent=50, min_module_attendance_percent=100, excused_counts=True, late_counts=False
    )
    enrollment_id = factory.enroll(series.id, person)
    # Module 2 (its sessions come first in time): excused (counts here), late (does not count
    # here); module 1: present twice.
    record(app, series, enrollment_id, ["excused", "late", "present", "present"])
    with app.app_context():
        progress = services.progress_for_enrollment(enrollment_id)
    assert (progress.sessions_attended, progress.sessions_held, progress.attendance_percent) == (3, 4, 75)
    assert progress.attendance_met is True
    assert "Modul 2: Anwesenheit 50 % – mindestens 100 % nötig – nicht mehr erreichbar" in progress.missing
    assert progress.reachable is False


def test_by_default_late_counts_and_excused_does_not(app, factory):
    person = factory.user("coordinator", name="Ayşe Yılmaz", region="Kassel")
    series = factory.series(coordinators=())
    enrollment_id = factory.enroll(series.id, person)
    record(app, series, enrollment_id, ["excused", "late", "present", "present"])
    with app.app_context():
        progress = services.progress_for_enrollment(enrollment_id)
    assert (progress.sessions_attended, progress.attendance_percent, progress.attendance_met) == (3, 75, False)
    assert not any("Modul 2: Anwesenheit" in item for item in progress.missing)


@pytest.fixture
def three(factory):
    series = factory.series(coordinators=())
    other = factory.series(coordinators=())
    people = {
        "Zoë Zander": factory.user("coordinator", name="Zoë Zander", region="Kassel"),
        "Bernd Berger": factory.user("trainer", name="Bernd Berger"),
        "Anna Adler": factory.user("coordinator", name="Anna Adler", region="Darmstadt"),
    }
    enrollments = {name: factory.enroll(series.id, user) for name, user in people.items()}
    factory.enroll(other.id, factory.user("coordinator", name="Aaron Anderswo", region="Kassel"))
    return series, enrollments


def test_a_series_lists_its_participants_in_name_order_with_their_region(app, three):
    series, enrollments = three
    with app.app_context():
        listed = services.progress_for_series(series.id)
        ids = services.series_enrollment_ids(series.id)
    assert [(item.name, item.region) for item in listed] == [
        ("Anna Adler", "Darmstadt"),
        ("Bernd Berger", None),
        ("Zoë Zander", "Kassel"),
    ]
    assert ids == [enrollments["Anna Adler"], enrollments["Bernd Berger"], enrollments["Zoë Zander"]]
    assert [item.enrollment_id for item in listed] == ids
    assert {item.series_id for item in listed} == {series.id}


def test_participants_with_the_same_name_keep_the_order_they_enrolled_in(app, factory):
    series = factory.series(coordinators=())
    first = factory.enroll(series.id, factory.user("coordinator", name="Kim Lee", region="Kassel"))
    second = factory.enroll(series.id, factory.user("coordinator", name="Kim Lee", region="Kassel"))
    with app.app_context():
        assert services.series_enrollment_ids(series.id) == [first, second]
        assert [item.enrollment_id for item in services.progress_for_series(series.id)] == [first, second]


def test_progress_for_a_list_of_enrollments_is_theirs_only(app, three):
    _series, enrollments = three
    wanted = [enrollments["Zoë Zander"], enrollments["Anna Adler"]]
    with app.app_context():
        loaded = services.progress_for_enrollments(iter(wanted))
        assert services.progress_for_enrollments([]) == []
        region_ids = dict(db.session.execute(select(services.Enrollment.id, services.User.region_id).join(services.User)).all())
    assert sorted(item.enrollment_id for item in loaded) == sorted(wanted)
    assert {item.enrollment_id: item.region_id for item in loaded} == {eid: region_ids[eid] for eid in wanted}


def test_an_unknown_enrollment_is_named_in_the_error(app):
    with app.app_context(), pytest.raises(LookupError, match="no enrollment 999999"):
        services.progress_for_enrollment(999_999)


def test_a_persons_own_page_shows_the_newest_series_first(app, factory):
    person = factory.user("coordinator", name="Ayşe Yılmaz", region="Kassel")
    older = factory.series(coordinators=(person,), title="Jahrgang 2025")
    newer = factory.series(coordinators=(person,), title="Jahrgang 2026")
    with app.app_context():
        assert [item.series_id for item in services.progress_for_user(person.id)] == [newer.id, older.id]


def test_progress_is_computed_for_the_day_asked_for(app, factory):
    from datetime import timedelta

    from wirlearn.core.timeutil import local_today

    person = factory.user("coordinator", name="Ayşe Yılmaz", region="Kassel")
    series = factory.series(coordinators=(person,))
    before_the_first_session = local_today() - timedelta(days=60)
    with app.app_context():
        for progress in (
            services.progress_for_series(series.id, today=before_the_first_session)[0],
            services.progress_for_user(person.id, today=before_the_first_session)[0],
            services.progress_for_enrollments(services.series_enrollment_ids(series.id), today=before_the_first_session)[0],
        ):
            assert (progress.sessions_upcoming, progress.sessions_unrecorded) == (4, 0)
        assert services.progress_for_series(series.id)[0].sessions_upcoming == 0
