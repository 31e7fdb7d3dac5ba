"""Kept progress records (wirlearn.progress.kept): after any sequence of writes through the
services, every record says exactly what ``compute_progress`` says from scratch; the overview
and the whole-series API read them; ``flask progress refresh`` rebuilds them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from wirlearn.assessments.services import AssessmentEntry, save_assessments
from wirlearn.attendance.services import Entry, save_roster
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme import services as programme
from wirlearn.programme.models import Enrollment, Module, Series, Session
from wirlearn.progress import kept
from wirlearn.progress.models import ProgressRecord
from wirlearn.progress.services import progress_for_series

STATUSES = ("present", "late", "excused", "absent")
SETTINGS = settings(max_examples=12, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck))

MODULE_FIELDS = (
    "module_id",
    "number",
    "title",
    "required",
    "sessions_total",
    "sessions_held",
    "sessions_attended",
    "sessions_upcoming",
    "sessions_unrecorded",
    "attendance_rate",
    "attendance_percent",
    "assessment",
    "state",
    "points",
    "attempts",
)
PARTICIPANT_FIELDS = (
    "enrollment_id",
    "user_id",
    "series_id",
    "name",
    "region",
    "region_id",
    "regierungsbezirk",
    "enrollment_status",
    "withdrawn",
    "attendance_rate",
    "attendance_percent",
    "sessions_held",
    "sessions_attended",
    "sessions_upcoming",
    "sessions_unrecorded",
    "attendance_met",
    "min_attendance_percent",
    "eligible",
    "reachable",
    "missing",
    "modules_passed",
    "required_modules",
    "required_passed",
)

_numbers = itertools.count(1)

# One write through a service: (kind, which person/session/module by index, a value).
WRITES = st.one_of(
    st.tuples(st.just("roster"), st.integers(0, 5), st.lists(st.sampled_from(STATUSES + (None,)), min_size=3, max_size=3)),
    st.tuples(st.just("assess"), st.integers(0, 2), st.tuples(st.integers(0, 2), st.sampled_from(("passed", "failed", 30, 75)))),
    st.tuples(st.just("status"), st.integers(0, 2), st.sampled_from(("withdrawn", "active"))),
    st.tuples(
        st.just("rules"),
        st.just(0),
        st.tuples(st.sampled_from((50, 75, 80, 100)), st.sampled_from((None, 50, 100)), st.booleans(), st.booleans()),
    ),
    st.tuples(st.just("move"), st.integers(0, 5), st.sampled_from((-12, -3, 4, 9))),
    st.tuples(st.just("module"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("enroll"), st.just(0), st.just(None)),
)


def _compare(series_id: int) -> None:
    """Every enrollment read from a current record equals the computation from scratch."""
    expected = progress_for_series(series_id)
    read = kept.progress_for_series(series_id)
    assert [item.enrollment_id for item in read] == [item.enrollment_id for item in expected]
    for ours, theirs in zip(read, expected, strict=True):
        assert isinstance(ours, kept.KeptProgress), f"enrollment {ours.enrollment_id}: record missing or out of date"
        for name in PARTICIPANT_FIELDS:
            assert getattr(ours, name) == getattr(theirs, name), (name, ours.enrollment_id)
        assert len(ours.modules) == len(theirs.modules)
        for mine, other in zip(ours.modules, theirs.modules, strict=True):
            for name in MODULE_FIELDS:
                assert getattr(mine, name) == getattr(other, name), (name, mine.module_id)


def _apply(write, world) -> None:
    kind, index, value = write
    series_id, users, enrollments, sessions, modules = world
    if kind == "roster":
        session = db.session.get(Session, sessions[index])
        entries = {user.id: Entry(status) for user, status in zip(users, value, strict=False) if status is not None}
        active = set(
            db.session.scalars(
                select(Enrollment.user_id).where(Enrollment.series_id == series_id, Enrollment.status != "withdrawn")
            )
        )
        entries = {user_id: entry for user_id, entry in entries.items() if user_id in active}
        if entries and session.ends_at.date() < local_today():
            save_roster(session.id, session.attendance_version, entries, actor_id=None)
    elif kind == "assess":
        module_index, result = value
        module = db.session.get(Module, modules[module_index])
        user = users[index]
        status = db.session.scalar(select(Enrollment.status).where(Enrollment.id == enrollments[index]))
        if status == "withdrawn":
            return
        if module.assessment_kind == "points":
            entry = AssessmentEntry(
                points=Decimal(result) if isinstance(result, int) else Decimal(80 if result == "passed" else 10)
            )
        else:
            entry = AssessmentEntry(result=result if isinstance(result, str) else ("passed" if result >= 60 else "failed"))
        save_assessments(module.id, {user.id: entry}, actor_id=None)
    elif kind == "status":
        programme.set_enrollment_status(db.session.get(Enrollment, enrollments[index]), value)
    elif kind == "rules":
        minimum, module_minimum, excused, late = value
        programme.update_series(
            db.session.get(Series, series_id),
            {
                "min_attendance_percent": minimum,
                "min_module_attendance_percent": module_minimum,
                "excused_counts": excused,
                "late_counts": late,
            },
        )
    elif kind == "move":
        session = db.session.get(Session, sessions[index])
        if session.attendance_version == 0:  # sessions with a saved roster stay where they are
            programme.update_session(
                session,
                {
                    "date": local_today() + timedelta(days=value),
                    "start_time": session.start_time,
                    "end_time": session.end_time,
                    "place": session.place,
                },
                [trainer.id for trainer in session.trainers],
            )
    elif kind == "module":
        module = db.session.get(Module, modules[index])
        programme.update_module(
            module,
            {
                "title": module.title + "+",
                "description": module.description,
                "teaching_units": module.teaching_units,
                "required": value,
                "assessment_kind": module.assessment_kind,
                "max_points": module.max_points,
                "pass_mark": module.pass_mark,
            },
        )
    elif kind == "enroll":
        programme.enroll(db.session.get(Series, series_id), [users[3].id])


def _world(app, factory):
    number = next(_numbers)
    users = [factory.user("coordinator", email=f"kept{number}-{i}@example.org", name=f"Kept {number} {i}") for i in range(4)]
    series = factory.series(
        coordinators=tuple(users[:3]),
        modules=(
            {"title": "Grundlagen"},
            {"title": "Praxis", "assessment_kind": "points", "max_points": 100, "pass_mark": 60},
            {"title": "Wahl", "required": False},
        ),
        days=((-30, -25), (-12, 6), (-5, 12)),
    )
    with app.app_context():
        enrollments = [
            db.session.scalar(select(Enrollment.id).where(Enrollment.series_id == series.id, Enrollment.user_id == user.id))
            for user in users[:3]
        ]
        kept.refresh(db.session, series.id)  # as `flask progress refresh` would (the records exist already)
        db.session.commit()
    sessions = [session_id for module_id in series.module_ids for session_id in series.sessions_by_module[module_id]]
    return (series.id, users, enrollments, sessions, series.module_ids)


@SETTINGS
@given(writes=st.lists(WRITES, min_size=1, max_size=8))
def test_kept_records_equal_progress_computed_from_scratch(app, factory, writes):
    world = _world(app, factory)
    with app.test_request_context():
        for write in writes:
            _apply(write, world)
            db.session.commit()
            _compare(world[0])


def test_records_are_written_in_the_writing_transaction_and_rolled_back_with_it(app, factory, coordinator):
    series = factory.series(coordinators=(coordinator,), days=((-10, -9), (-5, 8)))
    with app.test_request_context():
        kept.refresh(db.session, series.id)
        db.session.commit()
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.series_id == series.id))
        before = db.session.get(ProgressRecord, enrollment_id).modules
        save_assessments(series.module_ids[0], {coordinator.id: AssessmentEntry(result="passed")}, actor_id=None)
        db.session.expire_all()
        assert db.session.get(ProgressRecord, enrollment_id).modules != before  # same transaction
        db.session.rollback()
        assert db.session.get(ProgressRecord, enrollment_id).modules == before  # and gone with it


def test_reading_computes_missing_and_overtaken_records(app, factory, coordinator, other_coordinator):
    series = factory.series(coordinators=(coordinator, other_coordinator), days=((-10, -9), (-5, 8)))
    with app.test_request_context():
        # As after a bulk import: no records (the factory's ORM writes were kept at its commit).
        db.session.execute(delete(ProgressRecord).where(ProgressRecord.series_id == series.id))
        db.session.commit()
        assert kept.records_count(series.id) == 0
        read = kept.progress_for_series(series.id)
        assert [type(item) for item in read] != [kept.KeptProgress] * 2  # computed, not read
        assert kept.refresh(db.session, due_only=True) >= 2
        db.session.commit()
        assert all(isinstance(item, kept.KeptProgress) for item in kept.progress_for_series(series.id))
        # A session end overtakes the records: read afresh, and the job writes them back.
        db.session.execute(
            ProgressRecord.__table__.update()
            .where(ProgressRecord.series_id == series.id)
            .values(valid_until=ProgressRecord.computed_at)
        )
        db.session.commit()
        assert not any(isinstance(item, kept.KeptProgress) for item in kept.progress_for_series(series.id))
        assert kept.refresh_due() == 2
        db.session.commit()
        _compare(series.id)


def test_flask_progress_refresh_rebuilds_every_record(app, factory, runner, coordinator):
    series = factory.series(coordinators=(coordinator,))
    with app.app_context():
        db.session.execute(delete(ProgressRecord))
        db.session.commit()
    result = runner.invoke(args=["progress", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Fortschrittsstände neu berechnet" in result.output
    with app.test_request_context():
        assert db.session.scalar(select(func.count()).select_from(ProgressRecord)) == db.session.scalar(
            select(func.count()).select_from(Enrollment)
        )
        _compare(series.id)


def test_series_api_from_records_matches_the_schema_of_live_progress(app, factory, trainer, coordinator, other_coordinator):
    """The API writes the records as JSON directly; it must say what the documented schema
    says for the progress computed from scratch."""
    from wirlearn.progress.api import ParticipantProgressSchema

    series = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator), days=((-10, -9), (-5, 8)))
    with app.test_request_context():
        save_assessments(series.module_ids[1], {coordinator.id: AssessmentEntry(points=Decimal("75.5"))}, actor_id=None)
        kept.refresh(db.session, series.id)
        db.session.commit()
        expected = ParticipantProgressSchema(many=True).dump(progress_for_series(series.id))
    client = app.test_client()
    token = client.post("/api/v1/token", json={"email": trainer.email, "password": trainer.password}).get_json()["access_token"]
    response = client.get(f"/api/v1/series/{series.id}/progress", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json() == expected


def test_rows_written_without_the_hook_are_kept_at_the_commit(app, factory, coordinator):
    """A path that writes attendance or assessments through the ORM but forgets the hook (a new
    feature, a script) still leaves current records: the safety net recomputes them."""
    from wirlearn.assessments.models import Assessment
    from wirlearn.attendance.models import Attendance

    series = factory.series(coordinators=(coordinator,), days=((-10, -9), (-5, 8)))
    with app.test_request_context():
        kept.refresh(db.session, series.id)
        db.session.commit()
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.series_id == series.id))
        first_session = series.sessions_by_module[series.module_ids[0]][0]
        db.session.get(Session, first_session).attendance_version = 1
        db.session.add(Attendance(session_id=first_session, enrollment_id=enrollment_id, status="present"))
        db.session.add(
            Assessment(
                module_id=series.module_ids[0], enrollment_id=enrollment_id, attempt=1, result="passed", assessed_on=local_today()
            )
        )
        db.session.commit()
        record = db.session.get(ProgressRecord, enrollment_id)
        assert record.sessions_attended == 1
        _compare(series.id)


# The overview's figures after a write re-read only what changed (overview._rows_from_records):
# the writes above, and renames and moves between regions, which no record holds.
OVERVIEW_WRITES = st.one_of(
    WRITES,
    st.tuples(st.just("rename"), st.integers(0, 3), st.sampled_from(("Zora Zander", "Ärne Äbel", "Aaron Abt"))),
    st.tuples(st.just("region"), st.integers(0, 3), st.integers(0, 3)),
)


def _apply_to_overview(write, world) -> None:
    from wirlearn.auth.models import User
    from wirlearn.programme.models import Region

    kind, index, value = write
    users = world[1]
    if kind == "rename":
        db.session.get(User, users[index].id).display_name = value
    elif kind == "region":
        regions = list(db.session.scalars(select(Region.id).order_by(Region.id).limit(4)))
        db.session.get(User, users[index].id).region_id = regions[value % len(regions)]
    else:
        _apply(write, world)


def _overview_rows(figures) -> list[tuple]:
    return [
        (
            row.progress.enrollment_id,
            row.status,
            row.certificate,
            *(getattr(row.progress, name) for name in PARTICIPANT_FIELDS),
            tuple(tuple(getattr(module, name) for name in MODULE_FIELDS) for module in row.progress.modules),
        )
        for row in figures.rows
    ]


@SETTINGS
@given(writes=st.lists(OVERVIEW_WRITES, min_size=1, max_size=8))
def test_overview_figures_after_writes_equal_figures_read_from_every_record(app, factory, writes):
    from wirlearn.core.timeutil import utcnow
    from wirlearn.progress import overview
    from wirlearn.progress.services import Rules, moment

    world = _world(app, factory)
    series_id = world[0]
    with app.test_request_context():
        app.extensions.pop(overview.FIGURES_CACHE, None)
        overview.series_figures(series_id, Rules.of(db.session.get(Series, series_id)))  # the worker's first view
        for write in writes:
            _apply_to_overview(write, world)
            db.session.commit()
            rules = Rules.of(db.session.get(Series, series_id))
            kept_figures = overview.series_figures(series_id, rules)  # from the previous figures and what changed
            full, _memo = overview._figures(series_id, rules, moment(None), utcnow(), from_records=True)
            assert _overview_rows(kept_figures) == _overview_rows(full), write
            assert kept_figures.counts == full.counts
            assert kept_figures.modules == full.modules and kept_figures.sessions == full.sessions
            assert kept_figures.uncovered_regions == full.uncovered_regions


def test_an_overview_after_one_write_reads_only_the_record_that_changed(app, factory, trainer, coordinator, other_coordinator):
    """The worker's figures are not rebuilt from all records after a write: the changed
    participant's record is read again, the others are taken over as they were."""
    from wirlearn.progress import overview
    from wirlearn.progress.services import Rules

    series = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator))
    with app.test_request_context():
        kept.refresh(db.session, series.id)
        db.session.commit()
        app.extensions.pop(overview.FIGURES_CACHE, None)
        rules = Rules.of(db.session.get(Series, series.id))
        before = {row.progress.enrollment_id: row for row in overview.series_figures(series.id, rules).rows}
        changed = db.session.scalar(
            select(Enrollment).where(Enrollment.series_id == series.id, Enrollment.user_id == coordinator.id)
        )
        changed_id = changed.id
        programme.set_enrollment_status(changed, "withdrawn")
        db.session.commit()
        after = {row.progress.enrollment_id: row for row in overview.series_figures(series.id, rules).rows}
    assert after[changed_id] is not before[changed_id] and after[changed_id].progress.withdrawn
    (other,) = set(after) - {changed_id}
    assert after[other] is before[other]  # taken over, not read again
