"""Progress loaded from the database: the same rules as the unit tests, a fixed number of
queries, and the demo programme's numbers checked against a hand count."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.factories import at
from tests.progress_data import populate
from tests.querycount import count_queries
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.demo import seed as demo
from wirlearn.demo.seed import seed_demo
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Series, Session
from wirlearn.progress.services import progress_for_enrollment, progress_for_series, progress_for_user

TODAY = date(2026, 11, 25)


def test_progress_for_enrollment_reads_attendance_and_current_assessment(app, factory, coordinator, other_coordinator):
    series = factory.series(
        coordinators=(coordinator, other_coordinator),
        days=((-20, -19), (-10, 5)),
        today=TODAY,
        min_attendance_percent=75,
    )
    first, second = series.module_ids
    with app.app_context():
        enrollment = db.session.scalar(
            db.select(Enrollment).where(Enrollment.user_id == coordinator.id, Enrollment.series_id == series.id)
        )
        s1, s2 = series.sessions_by_module[first]
        s3, _s4 = series.sessions_by_module[second]
        # The rosters of the held sessions were saved (s3 without a row for this participant).
        for session_id in (s1, s2, s3):
            db.session.get(Session, session_id).attendance_version = 1
        db.session.add_all(
            [
                Attendance(session_id=s1, enrollment_id=enrollment.id, status="present"),
                Attendance(session_id=s2, enrollment_id=enrollment.id, status="late"),
                # s3 held without a row: absent
                Assessment(module_id=first, enrollment_id=enrollment.id, attempt=1, result="failed", assessed_on=TODAY),
                Assessment(module_id=first, enrollment_id=enrollment.id, attempt=2, result="passed", assessed_on=TODAY),
                Assessment(
                    module_id=second,
                    enrollment_id=enrollment.id,
                    attempt=1,
                    result="failed",
                    points=Decimal("40"),
                    assessed_on=TODAY,
                ),
            ]
        )
        db.session.commit()
        enrollment_id = enrollment.id

        result = progress_for_enrollment(enrollment_id, today=TODAY)
        assert (result.user_id, result.series_id, result.name, result.region) == (
            coordinator.id,
            series.id,
            "Ayşe Yılmaz",
            "Darmstadt",
        )
        assert result.regierungsbezirk == "Darmstadt"
        assert (result.sessions_attended, result.sessions_held, result.sessions_upcoming) == (2, 3, 1)
        assert [(m.assessment, m.attempts) for m in result.modules] == [("passed", 2), ("failed", 1)]
        assert result.modules[1].points == Decimal("40")
        assert result.modules[1].max_points == 100 and result.modules[1].pass_mark == 60
        assert result.missing == [
            "Anwesenheit 66 % – mindestens 75 % nötig",
            "Modul 2: noch 1 Termin ausstehend",
            "Modul 2: nicht bestanden",
        ]
        assert result.reachable is True
        assert [session.date for session in result.next_sessions] == [TODAY + timedelta(days=5)]

        everyone = progress_for_series(series.id, today=TODAY)
        assert [item.name for item in everyone] == ["Ayşe Yılmaz", "Đorđe Petrović"]
        assert everyone[1].sessions_attended == 0 and everyone[1].missing[0].startswith("Anwesenheit 0 %")

        mine = progress_for_user(coordinator.id, today=TODAY)
        assert [item.enrollment_id for item in mine] == [enrollment_id]

        with pytest.raises(LookupError):
            progress_for_enrollment(999999)


def test_a_session_of_today_is_held_once_it_has_ended_and_recorded(app, factory, coordinator):
    series = factory.series(coordinators=(coordinator,), days=((0,),), modules=({"title": "Heute"},), today=TODAY)
    with app.app_context():
        enrollment_id = db.session.scalar(db.select(Enrollment.id).where(Enrollment.series_id == series.id))
        assert progress_for_enrollment(enrollment_id, today=datetime.combine(TODAY, at(15, 59))).sessions_upcoming == 1
        ended = progress_for_enrollment(enrollment_id, today=datetime.combine(TODAY, time(16, 0)))
        assert (ended.sessions_held, ended.sessions_unrecorded) == (0, 1)
        db.session.get(Session, series.session_ids[0]).attendance_version = 1
        db.session.commit()
        recorded = progress_for_enrollment(enrollment_id, today=datetime.combine(TODAY, time(16, 0)))
        assert (recorded.sessions_held, recorded.sessions_attended) == (1, 0)


def test_progress_for_a_series_costs_the_same_queries_for_3_and_300(app, factory):
    small = factory.series(today=TODAY)
    large = factory.series(today=TODAY)
    populate(app, small, 3)
    populate(app, large, 300)
    counts = {}
    with app.app_context():
        for name, series in (("small", small), ("large", large)):
            db.session.expire_all()
            with count_queries(db.engine) as counter:
                results = progress_for_series(series.id, today=TODAY)
            counts[name] = counter.count
            assert len(results) == (3 if name == "small" else 300)
    assert counts["small"] == counts["large"] <= 6


def test_demo_programme_matches_the_hand_count(app):
    """seed.py: 23 complete, 4 missing a module, 4 under the attendance threshold, 1 withdrawn."""
    with app.app_context():
        seed_demo(today=TODAY)
        db.session.commit()
        series_id = db.session.scalar(db.select(Series.id))
        results = progress_for_series(series_id, today=TODAY)
    assert len(results) == 32
    eligible = [item for item in results if item.eligible]
    assert len(eligible) == len(demo.COMPLETE) == 23
    withdrawn = [item for item in results if item.enrollment_status == "withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0].missing[0].startswith("Ausgeschieden")
    under = [item for item in results if not item.attendance_met and not item.withdrawn]
    assert len(under) == len(demo.UNDER_THRESHOLD) == 4
    assert all(not item.reachable for item in under)  # no required session is still to come
    missing_module = [item for item in results if item.attendance_met and not item.eligible and not item.withdrawn]
    assert len(missing_module) == len(demo.MISSING_MODULE) == 4
    texts = sorted(text for item in missing_module for text in item.missing)
    assert texts == sorted(
        ["Modul 3: nicht bestanden", "Modul 5: Bewertung steht noch aus", "Modul 4: nicht bestanden", "Modul 5: nicht bestanden"]
    )
    # The optional module 6 has its sessions still to come and blocks nobody.
    assert all(item.modules[5].state == "running" and not item.modules[5].required for item in results)
