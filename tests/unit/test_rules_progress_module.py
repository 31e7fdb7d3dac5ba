"""Everything a participant's module card shows, computed for one module in the middle of its
course: sessions held, one not recorded yet, one to come, a failed and a passed attempt."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from tests.unit.test_progress_rules import NOW, progress, sessions_for
from wirlearn.progress.services import STATE_PASSED, STATE_RUNNING, AssessmentInput, ModuleInput, Rules, SessionInput


def test_the_module_card_shows_sessions_attempts_and_the_latest_result():
    module = ModuleInput(5, "Praxis", position=1, teaching_units=12, assessment_kind="points", max_points=100, pass_mark=60)
    held = sessions_for(5, [-3], 51)
    unrecorded = sessions_for(5, [-2], 52, recorded=False)
    upcoming = sessions_for(5, [4], 53)
    # A session that ends exactly now has ended.
    ending_now = [SessionInput(54, 5, NOW.date(), time(9), NOW.time(), "Raum 1", recorded=True)]
    assessments = [
        AssessmentInput(5, 2, "passed", Decimal("72.5"), "Gut gemacht", date(2026, 11, 20)),
        AssessmentInput(5, 1, "failed", Decimal("40"), "Knapp", date(2026, 11, 1)),
    ]
    result = progress(
        modules=[module],
        sessions=held + unrecorded + upcoming + ending_now,
        attendance={51: "present", 54: "absent"},
        assessments=assessments,
    )
    card = result.modules[0]
    assert (card.module_id, card.title, card.number, card.teaching_units) == (5, "Praxis", 1, 12)
    assert (card.sessions_total, card.sessions_held, card.sessions_attended) == (4, 2, 1)
    assert (card.sessions_upcoming, card.sessions_unrecorded) == (1, 1)
    assert (card.attendance_rate, card.attendance_percent) == (0.5, 50)
    assert (card.assessment, card.state, card.attempts) == ("passed", STATE_PASSED, 2)
    assert (card.points, card.feedback, card.assessed_on) == (Decimal("72.5"), "Gut gemacht", date(2026, 11, 20))
    assert (card.assessment_kind, card.max_points, card.pass_mark) == ("points", 100, 60)
    assert [(s.session.id, s.ended, s.held, s.status, s.counts) for s in card.sessions] == [
        (51, True, True, "present", True),
        (52, True, False, None, False),
        (54, True, True, "absent", False),
        (53, False, False, None, False),
    ]


def test_a_module_without_an_assessment_shows_no_attempts_no_feedback_and_no_date():
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions_for(1, [-3], 1), assessments=[])
    card = result.modules[0]
    assert (card.assessment, card.attempts, card.points, card.feedback, card.assessed_on) == ("pending", 0, None, "", None)


def test_the_summary_counts_passed_modules_and_which_are_required():
    modules = [
        ModuleInput(1, "Grundlagen", position=3),
        ModuleInput(2, "Praxis", position=5),
        ModuleInput(3, "Recht", position=6),
        ModuleInput(4, "Vertiefung", position=8, required=False),
    ]
    sessions = sessions_for(1, [-9], 1) + sessions_for(2, [-8], 2) + sessions_for(3, [-7], 3) + sessions_for(4, [-6], 4)
    assessments = [
        AssessmentInput(1, 1, "passed"),
        AssessmentInput(2, 1, "failed"),
        AssessmentInput(3, 1, "passed"),
        AssessmentInput(4, 1, "passed"),
    ]
    result = progress(modules=modules, sessions=sessions, assessments=assessments)
    assert [(card.position, card.number, card.required) for card in result.modules] == [
        (3, 1, True),
        (5, 2, True),
        (6, 3, True),
        (8, 4, False),
    ]
    assert (result.modules_passed, result.required_modules, result.required_passed) == (3, 3, 2)


def test_one_session_held_and_attended_is_a_full_attendance_rate():
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions_for(1, [-1], 1))
    assert (result.attendance_rate, result.attendance_percent) == (1.0, 100)
    assert (result.modules[0].attendance_rate, result.modules[0].attendance_percent) == (1.0, 100)


def test_a_fraction_of_a_session_in_the_minimum_still_needs_a_whole_session():
    # 67 % of 6 sessions is 4.02, so 5: after 3 attended, 2 of the 3 still to come.
    sessions = sessions_for(1, [-3, -2, -1, 1, 2, 3], 1)
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, rules=Rules(min_attendance_percent=67))
    assert result.sessions_needed == 2


def test_a_required_module_after_an_optional_one_still_decides():
    modules = [ModuleInput(1, "Vertiefung", position=1, required=False), ModuleInput(2, "Praxis", position=2)]
    sessions = sessions_for(1, [-9], 1) + sessions_for(2, [-8], 2)
    result = progress(modules=modules, sessions=sessions, assessments=[AssessmentInput(2, 1, "failed")])
    assert (result.eligible, result.missing) == (False, ["Modul 2: nicht bestanden"])


def test_several_sessions_still_to_come_or_not_recorded_are_counted_in_the_missing_items():
    sessions = sessions_for(1, [-9, -8], 1, recorded=False) + sessions_for(1, [-7], 3) + sessions_for(1, [3, 4], 4)
    result = progress(modules=[ModuleInput(1, "Grundlagen")], sessions=sessions, attendance={3: "present"})
    assert result.missing == [
        "Modul 1: noch 2 Termine ausstehend",
        "Modul 1: Anwesenheit für 2 Termine noch nicht erfasst",
    ]


def test_a_session_not_recorded_yet_and_one_to_come_both_may_still_be_attended():
    # Module minimum 75 %: 1 of 2 held so far; with the unrecorded and the coming session 3 of 4.
    sessions = sessions_for(1, [-9, -8], 1) + sessions_for(1, [-7], 3, recorded=False) + sessions_for(1, [3], 4)
    result = progress(
        modules=[ModuleInput(1, "Grundlagen")],
        sessions=sessions,
        attendance={1: "present", 2: "absent"},
        assessments=[],
        rules=Rules(min_attendance_percent=50, min_module_attendance_percent=75),
    )
    assert result.modules[0].state == STATE_RUNNING
    assert result.reachable is True
    assert "Modul 1: Anwesenheit 50 % – mindestens 75 % nötig" in result.missing


def test_a_module_minimum_out_of_reach_even_if_every_open_session_is_attended_is_said_early():
    # Module minimum 60 %: 1 of 4 held, 1 to come: at best 2 of 5 (40 %).
    sessions = sessions_for(1, [-9, -8, -7, -6, 3], 1)
    result = progress(
        modules=[ModuleInput(1, "Grundlagen")],
        sessions=sessions,
        attendance={1: "present", 2: "absent", 3: "absent", 4: "absent"},
        rules=Rules(min_attendance_percent=0, min_module_attendance_percent=60),
    )
    assert result.reachable is False
    assert result.missing == [
        "Modul 1: noch 1 Termin ausstehend",
        "Modul 1: Anwesenheit 25 % – mindestens 60 % nötig – nicht mehr erreichbar",
    ]


def test_the_forecast_says_how_many_open_sessions_must_still_be_attended_for_the_series_minimum():
    sessions = sessions_for(1, [-3, -2, -1, 1, 2, 3], 1)
    kwargs = {"modules": [ModuleInput(1, "Grundlagen")], "sessions": sessions, "rules": Rules(min_attendance_percent=70)}
    on_track = progress(attendance={1: "present", 2: "present", 3: "present"}, **kwargs)
    # 70 % of 6 sessions is 4.2, so 5: 2 of the 3 still to come.
    assert (on_track.min_attendance_percent, on_track.sessions_needed) == (70, 2)
    out_of_reach = progress(attendance={1: "absent", 2: "absent", 3: "present"}, **kwargs)
    assert (out_of_reach.min_attendance_percent, out_of_reach.sessions_needed) == (70, None)
