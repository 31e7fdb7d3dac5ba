"""The rules of saving a roll call (wirlearn/attendance/services.py) at their edges: what the
roster shows, which rows a save refuses and with which message, when a session may be marked,
what a conflict reports and what the audit log and the counts keep."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from wirlearn.attendance import services
from wirlearn.attendance.services import AttendanceError, Entry, RosterConflict, load_roster, save_roster
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.programme.models import Session


@pytest.fixture
def session_id(programme):
    return programme["main"].session_ids[0]


def test_each_status_has_its_german_label_and_nothing_else_has_one(ctx):
    assert [services.status_label(status) for status in ("present", "late", "excused", "absent")] == [
        "anwesend",
        "verspätet",
        "entschuldigt",
        "unentschuldigt",
    ]
    assert services.status_label(None) == ""
    assert services.status_label("krank") == ""


def test_the_roster_names_the_session_its_trainers_and_who_saved_each_row(
    ctx, factory, programme, session_id, trainer, coordinator, other_coordinator
):
    session = db.session.get(Session, session_id)
    extra = factory.user("trainer", name="Ömer Öztürk")
    session.trainers.append(db.session.get(User, extra.id))
    db.session.commit()
    empty = load_roster(session_id)
    assert (empty.updated_by, empty.updated_at, empty.recorded) == (None, None, 0)
    assert [(row.status, row.note, row.roster_version, row.updated_at, row.updated_by) for row in empty.rows] == [
        (None, "", None, None, None)
    ] * 2
    save_roster(session_id, 0, {other_coordinator.id: Entry("late", "Zug")}, actor_id=trainer.id)
    roster = load_roster(session_id)
    assert roster.session_id == session_id and roster.series_id == programme["main"].id
    assert (roster.module_title, roster.date, roster.place) == ("Praxis", session.date, "Raum 1")  # the earliest session
    assert (roster.start_time, roster.end_time) == (session.start_time, session.end_time)
    assert roster.starts_at == datetime.combine(session.date, session.start_time)
    assert roster.series_title.startswith("Reihe ")
    assert roster.module_id == session.module_id
    assert roster.trainers == ["Ömer Öztürk", "Tina Trainer"]  # German order, not code points
    assert roster.recorded == 1
    open_row, saved_row = roster.rows
    assert (open_row.user_id, open_row.status, open_row.updated_by) == (coordinator.id, None, None)
    assert (saved_row.user_id, saved_row.status, saved_row.note, saved_row.roster_version, saved_row.updated_by) == (
        other_coordinator.id,
        "late",
        "Zug",
        1,
        "Tina Trainer",
    )
    assert saved_row.updated_at is not None and saved_row.enrollment_id
    assert services.series_id_of_session(session_id) == programme["main"].id
    assert services.get_session(session_id).id == session_id
    assert services.series_id_of_session(999999) is None


def test_the_roster_sorts_names_the_german_way_and_namesakes_oldest_account_first(ctx, factory, programme, session_id):
    older = factory.user("coordinator", name="Zoë Zander")
    newer = factory.user("coordinator", name="Zoë Zander")
    umlaut = factory.user("coordinator", name="Öykü Özdemir")
    lower = factory.user("coordinator", name="otto Ober")
    for ref in (newer, older, umlaut, lower):
        factory.enroll(programme["main"].id, ref)
    factory.enroll(programme["other"].id, factory.user("coordinator", name="Anton Andere Reihe"))
    names = [(row.name, row.user_id) for row in load_roster(session_id).rows]
    assert names == [
        ("Ayşe Yılmaz", names[0][1]),
        ("Đorđe Petrović", names[1][1]),
        ("otto Ober", lower.id),
        ("Öykü Özdemir", umlaut.id),
        ("Zoë Zander", older.id),
        ("Zoë Zander", newer.id),
    ]


def test_a_note_may_have_500_characters_after_trimming(ctx, session_id, trainer, coordinator, other_coordinator):
    save_roster(
        session_id,
        0,
        {coordinator.id: Entry("present", " " + "x" * 500 + " "), other_coordinator.id: Entry("late", None)},
        actor_id=trainer.id,
    )
    rows = {row.user_id: row.note for row in load_roster(session_id).rows}
    assert rows == {coordinator.id: "x" * 500, other_coordinator.id: ""}


def test_every_bad_row_gets_its_own_messages_and_the_list_one_summary(ctx, factory, session_id, trainer, coordinator):
    stranger = factory.user("coordinator", name="Sven Fremd")
    with pytest.raises(AttendanceError) as caught:
        save_roster(
            session_id,
            0,
            {coordinator.id: Entry("krank", "x" * 501), stranger.id: Entry("present")},
            actor_id=trainer.id,
        )
    assert caught.value.message == "Die Liste enthält ungültige Angaben. Es wurde nichts gespeichert."
    assert str(caught.value) == caught.value.message
    assert caught.value.errors == {
        str(coordinator.id): [
            "Unbekannter Status. Erlaubt sind: anwesend, verspätet, entschuldigt, unentschuldigt.",
            "Die Notiz ist zu lang (höchstens 500 Zeichen).",
        ],
        str(stranger.id): ["Diese Person ist in dieser Reihe nicht (mehr) eingeschrieben."],
    }


def test_an_unknown_session_is_refused_with_a_message(ctx, trainer):
    with pytest.raises(AttendanceError) as caught:
        save_roster(999999, 0, {}, actor_id=trainer.id)
    assert caught.value.message == "Diesen Termin gibt es nicht."
    assert caught.value.errors == {}


@pytest.mark.parametrize("key, ok", [("", False), ("k", True), ("k" * 64, True), ("k" * 65, False)])
def test_a_form_key_has_1_to_64_characters(ctx, session_id, trainer, coordinator, key, ok):
    if ok:
        assert (
            save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key=key).version == 1
        )
        return
    with pytest.raises(AttendanceError) as caught:
        save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key=key)
    assert caught.value.message == "Das Formular ist unvollständig. Bitte laden Sie die Seite neu."
    assert load_roster(session_id).recorded == 0


# --- before the session starts -------------------------------------------------------------------


@pytest.fixture
def future_session(factory, trainer, coordinator, other_coordinator):
    series = factory.series(
        trainers=(trainer,), coordinators=(coordinator, other_coordinator), modules=({"title": "Vorschau"},), days=((3,),)
    )
    return series.session_ids[0]


def test_before_the_start_only_an_announced_absence_may_be_recorded(ctx, future_session, trainer, coordinator, other_coordinator):
    session = db.session.get(Session, future_session)
    with pytest.raises(AttendanceError) as caught:
        save_roster(
            future_session,
            0,
            {coordinator.id: Entry("excused"), other_coordinator.id: Entry("absent")},
            actor_id=trainer.id,
        )
    starts = f"{session.date:%d.%m.%Y} um 09:00 Uhr"
    reason = f"Der Termin beginnt erst am {starts}. Vorher kann nur „entschuldigt“ (Abwesenheit angekündigt) erfasst werden."
    assert caught.value.message == reason + " Es wurde nichts gespeichert."
    assert caught.value.errors == {str(other_coordinator.id): [reason]}
    assert load_roster(future_session).recorded == 0
    assert save_roster(future_session, 0, {coordinator.id: Entry("excused", "Urlaub")}, actor_id=trainer.id).version == 1


def test_a_session_may_be_marked_from_its_first_minute(ctx, future_session):
    session = db.session.get(Session, future_session)
    begins = session.starts_at
    assert services.started(session, begins)
    assert not services.started(session, begins - timedelta(seconds=1))
    assert services.refusal_before_start(session, "present", begins) is None
    assert services.refusal_before_start(session, "present", begins - timedelta(minutes=1))
    assert services.refusal_before_start(session, "excused", begins - timedelta(days=1)) is None
    assert not services.started(session)  # three days ahead on the real clock


def test_one_save_is_judged_at_one_moment_even_if_the_clock_passes_the_start_meanwhile(
    ctx, monkeypatch, future_session, trainer, coordinator, other_coordinator
):
    """A save sent a moment before the start is refused for every row alike, not for the first
    rows only and accepted for the rest."""
    begins = db.session.get(Session, future_session).starts_at
    ticks = iter([begins - timedelta(microseconds=1)])
    monkeypatch.setattr(services, "local_now", lambda: next(ticks, begins))
    with pytest.raises(AttendanceError) as caught:
        save_roster(
            future_session,
            0,
            {coordinator.id: Entry("present"), other_coordinator.id: Entry("late")},
            actor_id=trainer.id,
        )
    assert set(caught.value.errors) == {str(coordinator.id), str(other_coordinator.id)}


# --- conflicts -----------------------------------------------------------------------------------


def test_a_conflict_lists_only_rows_saved_after_the_form_was_loaded(
    ctx, factory, programme, session_id, trainer, other_trainer, coordinator, other_coordinator
):
    late = factory.user("coordinator", name="Aaron Abbruch")
    factory.enroll(programme["main"].id, late)
    save_roster(session_id, 0, {coordinator.id: Entry("present"), late.id: Entry("present")}, actor_id=trainer.id)
    save_roster(session_id, 1, {other_coordinator.id: Entry("late", "Bus")}, actor_id=other_trainer.id)
    save_roster(session_id, 2, {late.id: Entry("absent")}, actor_id=None)
    with pytest.raises(RosterConflict) as caught:
        save_roster(session_id, 1, {coordinator.id: Entry("absent")}, actor_id=trainer.id)
    conflict = caught.value
    assert conflict.current_version == 3
    assert conflict.updated_by is None
    assert conflict.updated_at == db.session.get(Session, session_id).attendance_updated_at
    assert conflict.message == (
        "Die Liste wurde inzwischen von jemand anderem geändert. Ihre Eingaben wurden noch nicht gespeichert."
    )
    assert [(row.user_id, row.name, row.status, row.note, row.updated_by) for row in conflict.changed] == [
        (late.id, "Aaron Abbruch", "absent", "", None),
        (other_coordinator.id, "Đorđe Petrović", "late", "Bus", "Otto Fremdtrainer"),
    ]
    assert all(row.updated_at is not None and row.enrollment_id for row in conflict.changed)


def test_a_conflict_lists_namesakes_oldest_account_first(ctx, factory, programme, session_id, trainer, coordinator):
    older = factory.user("coordinator", name="Zoë Zander")
    newer = factory.user("coordinator", name="Zoë Zander")
    factory.enroll(programme["main"].id, older)
    factory.enroll(programme["main"].id, newer)
    save_roster(session_id, 0, {newer.id: Entry("present")}, actor_id=trainer.id)
    save_roster(session_id, 1, {older.id: Entry("late")}, actor_id=trainer.id)
    with pytest.raises(RosterConflict) as caught:
        save_roster(session_id, 0, {coordinator.id: Entry("absent")}, actor_id=trainer.id)
    assert [row.user_id for row in caught.value.changed] == [older.id, newer.id]


def test_a_conflict_lists_only_rows_of_this_session_in_german_name_order(
    ctx, factory, programme, session_id, trainer, coordinator, other_coordinator
):
    umlaut = factory.user("coordinator", name="Öykü Özdemir")
    last = factory.user("coordinator", name="Zoë Zander")
    factory.enroll(programme["main"].id, umlaut)
    factory.enroll(programme["main"].id, last)
    other_session = programme["main"].session_ids[1]
    save_roster(other_session, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    save_roster(other_session, 1, {other_coordinator.id: Entry("present")}, actor_id=trainer.id)
    save_roster(session_id, 0, {umlaut.id: Entry("late"), last.id: Entry("present")}, actor_id=trainer.id)
    with pytest.raises(RosterConflict) as caught:
        save_roster(session_id, 0, {coordinator.id: Entry("absent")}, actor_id=trainer.id)
    assert [row.name for row in caught.value.changed] == ["Öykü Özdemir", "Zoë Zander"]  # not code point order


def test_a_session_belongs_to_the_series_of_its_module(ctx, factory, trainer):
    single = factory.series(trainers=(trainer,), modules=({"title": "Eins"},), days=((-1,),))
    assert services.series_id_of_session(single.session_ids[0]) == single.id


def test_a_conflict_does_not_list_a_participant_who_has_left(
    ctx, factory, programme, session_id, trainer, other_trainer, coordinator, other_coordinator
):
    from wirlearn.programme.models import Enrollment

    save_roster(session_id, 0, {other_coordinator.id: Entry("late")}, actor_id=other_trainer.id)
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == other_coordinator.id))
    enrollment.status = "withdrawn"
    db.session.commit()
    with pytest.raises(RosterConflict) as caught:
        save_roster(session_id, 0, {coordinator.id: Entry("absent")}, actor_id=trainer.id)
    assert caught.value.changed == []
    assert "Otto Fremdtrainer" in caught.value.message


def test_an_unchanged_save_answers_with_the_same_version_and_no_changes(ctx, session_id, trainer, coordinator):
    save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    result = save_roster(session_id, 1, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    assert result == services.SaveResult(version=1)
    assert (result.changed_enrollment_ids, result.duplicate) == (set(), False)


def test_every_row_of_one_save_carries_the_time_of_that_save(ctx, session_id, trainer, coordinator, other_coordinator):
    """New rows and changed rows alike: the time the roster shows as "saved at"."""
    save_roster(session_id, 0, {coordinator.id: Entry("present"), other_coordinator.id: Entry("absent")}, actor_id=trainer.id)
    first = load_roster(session_id)
    assert first.updated_at is not None
    assert [(row.roster_version, row.updated_at) for row in first.rows] == [(1, first.updated_at)] * 2
    save_roster(session_id, 1, {coordinator.id: Entry("late"), other_coordinator.id: Entry("excused")}, actor_id=trainer.id)
    second = load_roster(session_id)
    assert [(row.roster_version, row.updated_at) for row in second.rows] == [(2, second.updated_at)] * 2


# --- audit and counts ----------------------------------------------------------------------------


def test_every_saved_row_is_audited_with_series_module_and_session(ctx, programme, session_id, trainer, coordinator):
    save_roster(session_id, 0, {coordinator.id: Entry("present", "pünktlich")}, actor_id=trainer.id)
    session = db.session.get(Session, session_id)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "attendance")).all()
    row = load_roster(session_id).rows[0]
    assert (event.action, event.series_id, event.module_id, event.session_id, event.subject_user_id, event.actor_id) == (
        "attendance.recorded",
        programme["main"].id,
        session.module_id,
        session_id,
        coordinator.id,
        trainer.id,
    )
    assert event.entity_id is not None and row.roster_version == 1
    assert event.after == {"status": "present", "note": "pünktlich", "roster_version": 1}


def test_the_recorded_count_leaves_out_participants_who_have_left(
    ctx, factory, programme, trainer, coordinator, other_coordinator
):
    from wirlearn.programme.models import Enrollment

    first, second, third = programme["main"].session_ids[:3]
    save_roster(first, 0, {coordinator.id: Entry("present"), other_coordinator.id: Entry("absent")}, actor_id=trainer.id)
    save_roster(second, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    assert services.sessions_recorded_counts([first, second, third]) == {first: 2, second: 1}
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == other_coordinator.id))
    enrollment.status = "withdrawn"
    db.session.flush()
    assert services.sessions_recorded_counts(iter([first, second])) == {first: 1, second: 1}
    assert services.sessions_recorded_counts([second]) == {second: 1}
    assert services.sessions_recorded_counts([]) == {}


def test_the_first_save_of_a_roll_call_counts_the_session_as_held_for_everyone_also_those_not_marked(
    ctx, programme, session_id, trainer, coordinator, other_coordinator
):
    """The kept progress (overview, exports, API) must say at once that the session was held —
    for the participant the trainer did not mark too, who now counts as absent."""
    from wirlearn.progress import kept

    series_id = programme["main"].id
    kept.refresh(db.session, series_id)

    def unrecorded_and_held():
        return {
            item.user_id: (item.sessions_unrecorded, item.sessions_held)
            for item in kept.progress_for_series(series_id)
            if isinstance(item, kept.KeptProgress)  # read from the record, not computed afresh
        }

    before = unrecorded_and_held()
    assert before[coordinator.id] == before[other_coordinator.id] and before[coordinator.id][0] > 0
    unrecorded, held = before[other_coordinator.id]
    save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    assert unrecorded_and_held() == {coordinator.id: (unrecorded - 1, held + 1), other_coordinator.id: (unrecorded - 1, held + 1)}
