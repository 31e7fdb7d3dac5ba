"""Progress as loaded from the database: the series' own rules decide, participants come in name
order with their region, and a list of enrollments gives exactly their progress."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.support import bearer
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session
from wirlearn.progress import services

TODAY = date(2026, 11, 25)


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


def test_a_participants_modules_come_in_the_series_order_with_their_titles(app, factory):
    series = factory.series(coordinators=(), modules=({"title": "Grundlagen"}, {"title": "Praxis"}))
    with app.app_context():
        db.session.get(Module, series.module_ids[0]).position = 3  # moved behind "Praxis" (position 2)
        db.session.commit()
    enrollment_id = factory.enroll(series.id, factory.user("coordinator", name="Ayşe Yılmaz"))
    with app.app_context():
        progress = services.progress_for_enrollment(enrollment_id)
    assert [(module.number, module.title, module.position) for module in progress.modules] == [
        (1, "Praxis", 2),
        (2, "Grundlagen", 3),
    ]


def test_a_participants_module_card_shows_what_was_entered_for_the_module_its_sessions_and_assessment(app, factory):
    person = factory.user("coordinator", name="Ayşe Yılmaz")
    series = factory.series(
        coordinators=(person,),
        modules=({"title": "Praxis", "assessment_kind": "points", "max_points": 100, "pass_mark": 60},),
        days=((-3,),),
        today=TODAY,
    )
    with app.app_context():
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.series_id == series.id))
        db.session.add(
            Assessment(
                module_id=series.module_ids[0],
                enrollment_id=enrollment_id,
                result="passed",
                points=72,
                feedback="Gut begründet",
                assessed_on=date(2026, 11, 23),
            )
        )
        db.session.commit()
        card = services.progress_for_enrollment(enrollment_id, today=TODAY).modules[0]
    assert (card.teaching_units, card.assessment_kind, card.max_points, card.pass_mark) == (8, "points", 100, 60)
    assert (card.feedback, card.assessed_on) == ("Gut begründet", date(2026, 11, 23))
    assert [
        (entry.session.date, entry.session.start_time, entry.session.end_time, entry.session.place) for entry in card.sessions
    ] == [(date(2026, 11, 22), time(9), time(16), "Raum 1")]


def test_a_series_being_set_up_lists_its_participants_before_it_has_modules_or_sessions(app, factory):
    person = factory.user("coordinator", name="Ayşe Yılmaz")
    without_sessions = factory.series(coordinators=(person,), modules=({"title": "Grundlagen"},), days=((),))
    without_modules = factory.series(coordinators=(person,), modules=({"title": "Entwurf"},), days=((),))
    with app.app_context():
        db.session.delete(db.session.get(Module, without_modules.module_ids[0]))
        db.session.commit()
        no_sessions = services.progress_for_series(without_sessions.id)
        no_modules = services.progress_for_series(without_modules.id)
    assert [(item.name, [module.sessions_total for module in item.modules], item.missing) for item in no_sessions] == [
        ("Ayşe Yılmaz", [0], ["Modul 1: Bewertung steht noch aus"])
    ]
    assert [(item.name, item.modules, item.sessions_held, item.attendance_percent) for item in no_modules] == [
        ("Ayşe Yılmaz", [], 0, None)
    ]


def test_a_series_without_modules_makes_nobody_eligible_for_a_certificate(app, factory, admin, client, login):
    """Nothing can be missing in a series still being set up, yet nobody has earned anything:
    the participant is told why, and issuing is refused."""
    person = factory.user("coordinator", name="Ayşe Yılmaz")
    series = factory.series(coordinators=(person,), modules=({"title": "Entwurf"},), days=((),))
    with app.app_context():
        db.session.delete(db.session.get(Module, series.module_ids[0]))
        db.session.commit()
        (item,) = services.progress_for_series(series.id)
    assert (item.eligible, item.missing) == (False, ["Die Reihe hat noch keine Module."])
    login(client, person)
    page = client.get("/mein-fortschritt").get_data(as_text=True)
    assert "Die Reihe hat noch keine Module." in page
    assert "Für diese Reihe sind noch keine Module angelegt." in page
    answer = client.post(
        "/api/v1/certificates", headers=bearer(client, admin), json={"user_id": person.id, "series_id": series.id}
    )
    assert answer.status_code == 422
    assert answer.get_json()["missing"] == ["Die Reihe hat noch keine Module."]


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


def test_namesakes_keep_the_order_they_enrolled_in_whoever_has_the_older_account(app, factory):
    series = factory.series(coordinators=())
    older_account = factory.user("coordinator", name="Kim Lee", region="Kassel")
    newer_account = factory.user("coordinator", name="Kim Lee", region="Kassel")
    first = factory.enroll(series.id, newer_account)
    second = factory.enroll(series.id, older_account)
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


def recorded(app, session_ids) -> None:
    """The rosters of these sessions were saved (without a row for anyone)."""
    with app.app_context():
        for session_id in session_ids:
            db.session.get(Session, session_id).attendance_version = 1
        db.session.commit()


def enrolled(app, factory, series_id: int, name: str, at: datetime) -> int:
    """An enrolment made at ``at`` (naive UTC, as stored)."""
    enrollment_id = factory.enroll(series_id, factory.user("coordinator", name=name))
    with app.app_context():
        db.session.get(Enrollment, enrollment_id).enrolled_at = at
        db.session.commit()
    return enrollment_id


def test_sessions_before_a_late_enrolment_count_as_missed_only_when_the_series_says_so(app, factory):
    counting = factory.series(coordinators=(), sessions_before_enrollment_count=True)
    default = factory.series(coordinators=())
    results = {}
    for series in (counting, default):
        recorded(app, series.session_ids)  # all four sessions held, three weeks and more ago
        enrollment_id = factory.enroll(series.id, factory.user("coordinator", name="Lena Spät"))
        with app.app_context():
            results[series.id] = services.progress_for_enrollment(enrollment_id)
    late_counted, late_spared = results[counting.id], results[default.id]
    assert (late_counted.sessions_held, late_counted.sessions_attended, late_counted.attendance_met) == (4, 0, False)
    assert (late_spared.sessions_held, late_spared.sessions_attended, late_spared.attendance_met) == (0, 0, True)


def test_a_late_enrolment_says_how_many_sessions_ended_before_its_day_and_whether_the_minimum_is_reachable(app, factory):
    # Sessions 9:00–16:00 on 5, 15 and 20 November (held, recorded) and 2 December.
    on_time = factory.user("coordinator", name="Anna Pünktlich")
    series = factory.series(coordinators=(on_time,), days=((-20, -10), (-5, 7)), today=TODAY, min_attendance_percent=50)
    recorded(app, series.session_ids[:3])
    # Enrolled on 20 November at 11:00 local time: the session of that day is not one before it.
    late = enrolled(app, factory, series.id, "Lena Spät", datetime(2026, 11, 20, 10, 0))
    with app.app_context():
        on_time_id = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == on_time.id))
        spared = services.late_enrollments([on_time_id, late], now=datetime(2026, 11, 25, 12, 0))
        own = services.progress_for_enrollment(late, today=datetime(2026, 11, 25, 12, 0))
        db.session.get(Series, series.id).sessions_before_enrollment_count = True
        db.session.commit()
        counted = services.late_enrollments([late, on_time_id], now=datetime(2026, 11, 25, 12, 0))
    # Not counted: the session of the enrolment day counts (missed), the 2nd is to come: at best
    # 1 of 2, 50 % needed.
    assert (own.sessions_held, own.sessions_attended, own.sessions_upcoming) == (1, 0, 1)
    assert spared == [services.LateEnrollment("Lena Spät", 2, False, True)]
    # Counted as missed: at best 1 of 4.
    assert counted == [services.LateEnrollment("Lena Spät", 2, True, False)]


def test_a_late_enrolment_is_judged_at_the_moment_asked_for(app, factory):
    # Three modules, one session each: 20 and 15 days ago (before the enrolment 12 days ago) and
    # 5 days ago, all recorded.
    series = factory.series(
        coordinators=(),
        modules=({"title": "Grundlagen"}, {"title": "Praxis"}, {"title": "Recht"}),
        days=((-20,), (-15,), (-5,)),
        min_attendance_percent=50,
    )
    recorded(app, series.session_ids)
    late = enrolled(app, factory, series.id, "Lena Spät", datetime.combine(local_today() - timedelta(days=12), time(10)))
    with app.app_context():
        ten_days_ago = services.late_enrollments([late], now=datetime.combine(local_today() - timedelta(days=10), time(12)))
        today = services.late_enrollments([late])
    # Ten days ago the third session was still to come; since then it was missed (no row).
    assert ten_days_ago == [services.LateEnrollment("Lena Spät", 2, False, True)]
    assert today == [services.LateEnrollment("Lena Spät", 2, False, False)]
