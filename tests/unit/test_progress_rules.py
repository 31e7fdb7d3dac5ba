"""The completion rules, computed without a database (wirlearn.progress.services.compute_progress)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from wirlearn.progress.services import (
    STATE_AWAITING,
    STATE_FAILED,
    STATE_PASSED,
    STATE_RUNNING,
    AssessmentInput,
    ModuleInput,
    Rules,
    SessionInput,
    compute_progress,
    meets,
    moment,
    percent,
    rate,
)

NOW = datetime(2026, 11, 25, 12, 0)


def sessions_for(module_id: int, offsets: list[int], first_id: int, recorded: bool | None = None) -> list[SessionInput]:
    """Sessions 9:00–16:00 on days relative to NOW (negative: held); past ones have a saved
    roster unless ``recorded`` says otherwise."""
    return [
        SessionInput(
            first_id + index,
            module_id,
            (NOW + timedelta(days=offset)).date(),
            time(9),
            time(16),
            "Raum 1",
            recorded=offset < 0 if recorded is None else recorded,
        )
        for index, offset in enumerate(offsets)
    ]


def progress(
    *,
    modules=None,
    sessions=None,
    attendance=None,
    assessments=None,
    rules=None,
    status="active",
    now=NOW,
):
    """Two required modules with 5 held sessions each (ids 1–5, 11–15) unless told otherwise."""
    modules = modules or [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Praxis", position=2)]
    if sessions is None:
        sessions = sessions_for(1, [-50, -49, -48, -47, -46], 1) + sessions_for(2, [-20, -19, -18, -17, -16], 11)
    if attendance is None:
        attendance = {session.id: "present" for session in sessions if session.ends_at <= now}
    if assessments is None:
        assessments = [AssessmentInput(module.id, 1, "passed") for module in modules]
    return compute_progress(
        user_id=7,
        enrollment_id=70,
        series_id=700,
        name="Ayşe Yılmaz",
        region="Darmstadt",
        enrollment_status=status,
        rules=rules or Rules(),
        modules=modules,
        sessions=sessions,
        attendance=attendance,
        assessments=assessments,
        now=now,
    )


def test_everything_done_is_eligible():
    result = progress()
    assert result.eligible is True
    assert result.reachable is True
    assert result.missing == []
    assert result.attendance_rate == 1.0
    assert result.attendance_percent == 100
    assert [module.assessment for module in result.modules] == ["passed", "passed"]
    assert [module.state for module in result.modules] == [STATE_PASSED, STATE_PASSED]
    assert result.modules[0].sessions_held == 5 and result.modules[0].sessions_attended == 5


def test_no_session_held_yet():
    sessions = sessions_for(1, [3, 4], 1) + sessions_for(2, [10], 11)
    result = progress(sessions=sessions, attendance={}, assessments=[])
    assert result.attendance_rate is None
    assert result.attendance_percent is None
    assert result.sessions_held == 0 and result.sessions_upcoming == 3
    assert result.reachable is True
    assert result.eligible is False
    # Nothing about attendance yet; each module says what is still to come.
    assert result.missing == [
        "Modul 1: 2 Termine und die Bewertung stehen noch aus",
        "Modul 2: 1 Termin und die Bewertung stehen noch aus",
    ]
    assert [module.state for module in result.modules] == [STATE_RUNNING, STATE_RUNNING]
    assert [module.assessment for module in result.modules] == ["pending", "pending"]


def test_required_module_with_sessions_to_come_is_not_eligible_even_if_assessed():
    sessions = sessions_for(1, [-5], 1) + sessions_for(2, [-3, 2], 11)
    result = progress(sessions=sessions)
    assert result.modules[1].assessment == "passed"
    assert result.modules[1].sessions_upcoming == 1
    assert result.eligible is False
    assert result.missing == ["Modul 2: noch 1 Termin ausstehend"]


def test_withdrawn_participant_is_never_eligible():
    result = progress(status="withdrawn")
    assert result.eligible is False
    assert result.reachable is False
    assert result.missing == ["Ausgeschieden: Die Teilnahme ist beendet, ein Zertifikat ist nicht möglich."]
    # The record stays visible module by module.
    assert result.modules[0].sessions_attended == 5


def test_optional_module_failed_does_not_block():
    modules = [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Vertiefung", position=2, required=False)]
    assessments = [AssessmentInput(1, 1, "passed"), AssessmentInput(2, 1, "failed")]
    result = progress(modules=modules, assessments=assessments)
    assert result.modules[1].assessment == "failed"
    assert result.modules[1].state == STATE_FAILED
    assert result.eligible is True
    assert result.missing == []


def test_optional_module_sessions_count_for_attendance_but_never_hold_back():
    modules = [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Vertiefung", position=2, required=False)]
    sessions = sessions_for(1, [-10, -9, -8, -7], 1) + sessions_for(2, [-5, 3], 11)
    attendance = {1: "present", 2: "present", 3: "present", 4: "present", 11: "absent"}
    result = progress(modules=modules, sessions=sessions, attendance=attendance, assessments=[AssessmentInput(1, 1, "passed")])
    assert (result.sessions_attended, result.sessions_held, result.sessions_upcoming) == (4, 5, 1)
    assert result.eligible is True  # 4 of 5, the optional session still to come and its assessment do not block
    assert result.modules[1].sessions_held == 1 and result.modules[1].sessions_attended == 0
    assert result.modules[1].assessment == "pending"
    # Missing the optional module's sessions lowers the rate like any other session.
    attendance[1] = "absent"
    lower = progress(modules=modules, sessions=sessions, attendance=attendance, assessments=[AssessmentInput(1, 1, "passed")])
    assert lower.eligible is False
    assert lower.reachable is False  # 4 of 6 at best
    assert lower.missing == ["Anwesenheit 60 % – mindestens 80 % nötig. Mindestanwesenheit nicht mehr erreichbar"]


def test_per_module_minimum_ignores_optional_modules():
    modules = [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Vertiefung", position=2, required=False)]
    sessions = sessions_for(1, list(range(-10, -1)), 1) + sessions_for(2, [-1], 20)
    attendance = {session.id: "present" for session in sessions[:9]}
    result = progress(
        modules=modules,
        sessions=sessions,
        attendance=attendance,
        rules=Rules(min_module_attendance_percent=50),
        assessments=[AssessmentInput(1, 1, "passed")],
    )
    assert result.modules[1].attendance_percent == 0
    assert result.eligible is True


def test_held_session_without_attendance_row_counts_as_absent():
    sessions = sessions_for(1, [-5, -4, -3, -2, -1], 1)
    attendance = {1: "present", 2: "present", 3: "present", 4: "present"}
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance)
    assert (result.sessions_attended, result.sessions_held) == (4, 5)
    assert result.eligible is True  # 4 of 5 is exactly 80 %


@pytest.mark.parametrize(("attended", "eligible"), [(8, True), (7, False)])
def test_exactly_at_the_threshold_is_enough(attended, eligible):
    sessions = sessions_for(1, list(range(-10, 0)), 1)
    attendance = {session.id: ("present" if index < attended else "absent") for index, session in enumerate(sessions)}
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance)
    assert result.attendance_met is eligible
    assert result.eligible is eligible
    if not eligible:
        assert result.missing == ["Anwesenheit 70 % – mindestens 80 % nötig. Mindestanwesenheit nicht mehr erreichbar"]


def test_just_below_the_threshold_never_shows_as_reaching_it():
    # 79 of 99 is 79.8 %: rounding to the nearest would show "80 %" next to "mindestens 80 %".
    sessions = sessions_for(1, list(range(-99, 0)), 1)
    attendance = {session.id: ("present" if index < 79 else "absent") for index, session in enumerate(sessions)}
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance)
    assert result.eligible is False
    assert result.attendance_percent == 79
    assert result.missing[0].startswith("Anwesenheit 79 % – mindestens 80 % nötig")


@pytest.mark.parametrize(("excused_counts", "eligible"), [(False, False), (True, True)])
def test_excused_counting_on_and_off(excused_counts, eligible):
    sessions = sessions_for(1, [-5, -4, -3, -2, -1], 1)
    attendance = {1: "present", 2: "present", 3: "present", 4: "excused", 5: "excused"}
    result = progress(
        modules=[ModuleInput(1, "Grundlagen")],
        sessions=sessions,
        attendance=attendance,
        rules=Rules(excused_counts=excused_counts),
    )
    assert result.sessions_attended == (5 if excused_counts else 3)
    assert result.eligible is eligible


@pytest.mark.parametrize(("late_counts", "attended"), [(True, 5), (False, 3)])
def test_late_counting_on_and_off(late_counts, attended):
    sessions = sessions_for(1, [-5, -4, -3, -2, -1], 1)
    attendance = {1: "present", 2: "present", 3: "present", 4: "late", 5: "late"}
    result = progress(
        modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance, rules=Rules(late_counts=late_counts)
    )
    assert result.sessions_attended == attended


def test_rule_changed_after_sessions_were_recorded_applies_to_all_recorded_sessions():
    sessions = sessions_for(1, [-5, -4, -3, -2, -1], 1)
    attendance = {1: "present", 2: "present", 3: "excused", 4: "excused", 5: "present"}
    kwargs = {"modules": [ModuleInput(1, "Grundlagen")], "sessions": sessions, "attendance": attendance}
    before = progress(rules=Rules(min_attendance_percent=80, excused_counts=False), **kwargs)
    after_excused = progress(rules=Rules(min_attendance_percent=80, excused_counts=True), **kwargs)
    after_lower_minimum = progress(rules=Rules(min_attendance_percent=60, excused_counts=False), **kwargs)
    assert before.eligible is False
    assert after_excused.eligible is True
    assert after_lower_minimum.eligible is True


def test_failed_required_module_blocks_and_says_so():
    result = progress(assessments=[AssessmentInput(1, 1, "passed"), AssessmentInput(2, 1, "failed")])
    assert result.eligible is False
    assert result.reachable is True  # a failed module can be re-assessed
    assert result.missing == ["Modul 2: nicht bestanden"]


def test_missing_assessment_after_the_last_session():
    result = progress(assessments=[AssessmentInput(1, 1, "passed")])
    assert result.modules[1].state == STATE_AWAITING
    assert result.missing == ["Modul 2: Bewertung steht noch aus"]


def test_highest_attempt_is_the_current_result():
    assessments = [
        AssessmentInput(1, 1, "passed"),
        AssessmentInput(2, 2, "passed", Decimal("71.5"), "überarbeitet, gut"),
        AssessmentInput(2, 1, "failed", Decimal("40"), "zu allgemein"),
    ]
    result = progress(assessments=assessments)
    module = result.modules[1]
    assert (module.assessment, module.points, module.attempts, module.feedback) == (
        "passed",
        Decimal("71.5"),
        2,
        "überarbeitet, gut",
    )
    assert result.eligible is True
    # And the other way round: passed first, failed on re-assessment.
    later_failed = progress(
        assessments=[AssessmentInput(1, 1, "passed"), AssessmentInput(2, 1, "passed"), AssessmentInput(2, 2, "failed")]
    )
    assert later_failed.eligible is False


def test_attendance_still_reachable_with_sessions_to_come():
    # 3 of 5 held (60 %), 5 still to come: 8 of 10 is reachable.
    sessions = sessions_for(1, [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5], 1)
    attendance = {1: "present", 2: "present", 3: "present", 4: "absent", 5: "absent"}
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance, assessments=[])
    assert result.reachable is True
    assert result.missing[0] == "Anwesenheit 60 % – mindestens 80 % nötig"


def test_attendance_no_longer_reachable_is_said_early():
    # 2 of 5 held, 5 to come: at best 7 of 10.
    sessions = sessions_for(1, [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5], 1)
    attendance = {1: "present", 2: "present", 3: "absent", 4: "absent", 5: "absent"}
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance=attendance, assessments=[])
    assert result.reachable is False
    assert result.missing[0] == "Anwesenheit 40 % – mindestens 80 % nötig. Mindestanwesenheit nicht mehr erreichbar"
    assert result.missing[1] == "Modul 1: 5 Termine und die Bewertung stehen noch aus"


def test_minimum_per_module():
    # Overall 8 of 10 (80 %), but module 2 only 3 of 5 (60 %) with a per-module minimum of 75 %.
    attendance = {
        1: "present",
        2: "present",
        3: "present",
        4: "present",
        5: "present",
        11: "present",
        12: "present",
        13: "present",
    }
    result = progress(attendance=attendance, rules=Rules(min_module_attendance_percent=75))
    assert result.attendance_met is True
    assert result.eligible is False
    assert result.reachable is False
    assert result.missing == ["Modul 2: Anwesenheit 60 % – mindestens 75 % nötig – nicht mehr erreichbar"]
    assert progress(attendance=attendance).eligible is True  # without a per-module minimum


def test_session_counts_as_held_once_its_end_is_past():
    sessions = sessions_for(1, [0], 1, recorded=True)  # today 9:00–16:00, roster saved
    kwargs = {"modules": [ModuleInput(1, "Grundlagen")], "sessions": sessions, "attendance": {}, "assessments": []}
    during = progress(now=datetime.combine(NOW.date(), time(15, 59)), **kwargs)
    after = progress(now=datetime.combine(NOW.date(), time(16, 0)), **kwargs)
    assert (during.sessions_held, during.sessions_upcoming) == (0, 1)
    assert (after.sessions_held, after.sessions_upcoming) == (1, 0)
    # Saved roster without a row for this participant: not attended.
    assert after.missing[0].startswith("Anwesenheit 0 %")


def test_ended_session_without_a_saved_roster_neither_counts_nor_lets_anyone_through():
    modules = [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Vertiefung", position=2, required=False)]
    sessions = (
        sessions_for(1, [-9, -8, -7, -6], 1)
        + sessions_for(1, [-1], 5, recorded=False)
        + sessions_for(2, [-2], 11, recorded=False)
    )
    attendance = {1: "present", 2: "present", 3: "present", 4: "absent"}
    result = progress(modules=modules, sessions=sessions, attendance=attendance, assessments=[AssessmentInput(1, 1, "passed")])
    # 3 of 4 recorded sessions (75 %); the two unrecorded ones may still be attended: 5 of 6 reachable.
    assert (result.sessions_attended, result.sessions_held, result.sessions_unrecorded) == (3, 4, 2)
    assert result.reachable is True
    assert result.eligible is False
    assert result.missing == [
        "Anwesenheit 75 % – mindestens 80 % nötig",
        "Modul 1: Anwesenheit für 1 Termin noch nicht erfasst",
    ]
    first = result.modules[0]
    assert first.state == STATE_PASSED and not first.finished
    assert [(entry.ended, entry.held) for entry in first.sessions][-1] == (True, False)
    # A row of this participant's own is a recorded attendance even before the version moves.
    attendance[5] = "present"
    assert progress(
        modules=modules, sessions=sessions, attendance=attendance, assessments=[AssessmentInput(1, 1, "passed")]
    ).eligible


def test_module_without_sessions_depends_on_its_assessment_only():
    modules = [ModuleInput(1, "Grundlagen", position=1), ModuleInput(2, "Hausarbeit", position=2)]
    sessions = sessions_for(1, [-3], 1)
    assert progress(modules=modules, sessions=sessions).eligible is True
    pending = progress(modules=modules, sessions=sessions, assessments=[AssessmentInput(1, 1, "passed")])
    assert pending.missing == ["Modul 2: Bewertung steht noch aus"]


def test_modules_are_numbered_in_series_order():
    modules = [ModuleInput(9, "Zweites", position=5), ModuleInput(3, "Erstes", position=2)]
    sessions = sessions_for(9, [-2], 1) + sessions_for(3, [-4], 2)
    result = progress(modules=modules, sessions=sessions, assessments=[AssessmentInput(3, 1, "passed")])
    assert [(module.number, module.title) for module in result.modules] == [(1, "Erstes"), (2, "Zweites")]
    assert result.missing == ["Modul 2: Bewertung steht noch aus"]


def test_next_sessions_are_upcoming_ones_in_date_order():
    sessions = sessions_for(2, [9, -1], 11) + sessions_for(1, [2], 1)
    result = progress(sessions=sessions, assessments=[])
    assert [session.id for session in result.next_sessions] == [1, 11]


PENDING = ["Modul 1: Bewertung steht noch aus", "Modul 2: Bewertung steht noch aus"]
WITHDRAWN = ["Ausgeschieden: Die Teilnahme ist beendet, ein Zertifikat ist nicht möglich."]


@pytest.mark.parametrize(
    ("status", "passed", "eligible", "missing"),
    [
        ("active", False, False, PENDING),
        ("active", True, True, []),
        ("completed", False, False, PENDING),
        ("completed", True, True, []),
        ("withdrawn", False, False, WITHDRAWN),
        ("withdrawn", True, False, WITHDRAWN),
    ],
)
def test_eligible_exactly_when_nothing_is_missing(status, passed, eligible, missing):
    assessments = [AssessmentInput(1, 1, "passed"), AssessmentInput(2, 1, "passed")] if passed else []
    result = progress(status=status, assessments=assessments)
    assert (result.eligible, result.missing) == (eligible, missing)


def test_percentages_in_one_place():
    assert rate(0, 0) is None and percent(0, 0) is None
    assert rate(1, 4) == 0.25
    assert percent(2, 3) == 66  # rounded down
    assert percent(799, 1000) == 79
    assert meets(8, 10, 80) and not meets(7, 10, 80) and meets(0, 0, 80)
    assert meets(0, 5, 0)


def test_moment_of_a_date_is_the_start_of_that_day():
    assert moment(date(2026, 11, 25)) == datetime(2026, 11, 25, 0, 0)
    assert moment(NOW) == NOW
    assert isinstance(moment(None), datetime)


def test_sessions_needed_says_how_many_of_the_open_sessions_must_be_attended():
    from wirlearn.progress.services import sessions_needed

    # 3 of 3 held attended, 3 to come, 80 % of 6 = 4.8 -> 5 -> 2 more.
    assert sessions_needed(3, 3, 3, 80) == 2
    # Already safe whatever happens: 5 of 5 held, 1 to come (5/6 = 83 %).
    assert sessions_needed(5, 5, 1, 80) == 0
    # Out of reach: 1 of 4 held, 1 to come (2/5 = 40 %).
    assert sessions_needed(1, 4, 1, 80) is None
    # Exactly on the line counts as met: 8 of 10 at 80 %.
    assert sessions_needed(6, 8, 2, 80) == 2
    assert sessions_needed(0, 0, 5, 100) == 5
