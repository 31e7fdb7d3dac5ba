"""The roster service: whole-list saves, conflicts, double submits, audit and signal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from wirlearn import signals
from wirlearn.attendance.models import Attendance, RosterSubmission
from wirlearn.attendance.services import AttendanceError, Entry, RosterConflict, load_roster, save_roster
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db
from wirlearn.programme.models import Session


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Attendance)),
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "attendance")),
    )


def meanwhile(app, monkeypatch, other_request) -> list:
    """Runs ``other_request`` (its own app context, committed) in another thread when the save
    under test first reads the clock: after it has read the rows, before it writes. Returns a
    list that holds one item once the other request has run."""
    import threading

    from wirlearn.attendance import services as attendance_services
    from wirlearn.core.timeutil import utcnow

    ran: list = []

    def in_its_own_request():
        with app.app_context():
            try:
                other_request()
                db.session.commit()
            finally:
                db.session.remove()

    def clock():
        if not ran:
            ran.append(1)
            thread = threading.Thread(target=in_its_own_request)
            thread.start()
            thread.join(timeout=30)
        return utcnow()

    monkeypatch.setattr(attendance_services, "utcnow", clock)
    return ran


@pytest.fixture
def session_id(programme):
    return programme["main"].session_ids[0]


def test_roster_lists_active_participants_sorted_with_region(ctx, factory, programme, session_id, coordinator, other_coordinator):
    withdrawn = factory.user("coordinator", name="Aaron Ausgeschieden")
    factory.enroll(programme["main"].id, withdrawn, status="withdrawn")
    roster = load_roster(session_id)
    assert [row.name for row in roster.rows] == ["Ayşe Yılmaz", "Đorđe Petrović"]
    assert [row.region for row in roster.rows] == ["Darmstadt", "Kassel"]
    assert roster.version == 0 and roster.recorded == 0
    assert roster.trainers == ["Tina Trainer"]
    assert load_roster(999999) is None


def test_save_records_every_row_audits_and_signals(ctx, session_id, trainer, coordinator, other_coordinator):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.id, kwargs["changed_enrollment_ids"]))

    signals.attendance_saved.connect(receiver)
    try:
        result = save_roster(
            session_id,
            0,
            {coordinator.id: Entry("present"), other_coordinator.id: Entry("late", "  Zug verspätet  ")},
            actor_id=trainer.id,
        )
    finally:
        signals.attendance_saved.disconnect(receiver)
    assert result.version == 1 and not result.duplicate
    assert len(result.changed_enrollment_ids) == 2
    assert received == [(session_id, result.changed_enrollment_ids)]
    roster = load_roster(session_id)
    assert roster.version == 1 and roster.updated_by == "Tina Trainer" and roster.updated_at is not None
    assert {row.name: (row.status, row.note) for row in roster.rows} == {
        "Ayşe Yılmaz": ("present", ""),
        "Đorđe Petrović": ("late", "Zug verspätet"),
    }
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "attendance").order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["attendance.recorded", "attendance.recorded"]
    assert events[1].before is None
    assert events[1].after == {"status": "late", "note": "Zug verspätet", "roster_version": 1}
    assert {event.subject_user_id for event in events} == {coordinator.id, other_coordinator.id}
    assert all(event.actor_id == trainer.id and event.session_id == session_id for event in events)

    # A change writes before → after; an unchanged row writes nothing.
    result = save_roster(
        session_id,
        1,
        {coordinator.id: Entry("excused", "krank"), other_coordinator.id: Entry("late", "Zug verspätet")},
        actor_id=trainer.id,
    )
    assert result.version == 2 and len(result.changed_enrollment_ids) == 1
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "attendance.changed"
    assert event.before == {"status": "present", "note": ""}
    assert event.after["status"] == "excused"
    assert counts() == (2, 3)


def test_unchanged_save_keeps_the_version(ctx, session_id, trainer, coordinator):
    save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    assert save_roster(session_id, 1, {coordinator.id: Entry("present")}, actor_id=trainer.id).version == 1
    assert db.session.get(Session, session_id).attendance_version == 1
    assert counts() == (1, 1)


def test_stale_version_is_refused_with_the_rows_the_other_person_changed(
    ctx, session_id, trainer, other_trainer, coordinator, other_coordinator
):
    save_roster(session_id, 0, {coordinator.id: Entry("present"), other_coordinator.id: Entry("present")}, actor_id=trainer.id)
    # Trainer B loaded version 1 too; trainer A saves first and changes one row.
    save_roster(session_id, 1, {other_coordinator.id: Entry("excused", "Attest")}, actor_id=other_trainer.id)
    before = counts()
    with pytest.raises(RosterConflict) as caught:
        save_roster(session_id, 1, {coordinator.id: Entry("absent")}, actor_id=trainer.id)
    conflict = caught.value
    assert conflict.current_version == 2
    assert conflict.updated_by == "Otto Fremdtrainer"
    assert [(row.name, row.status, row.note, row.updated_by) for row in conflict.changed] == [
        ("Đorđe Petrović", "excused", "Attest", "Otto Fremdtrainer")
    ]
    assert "Otto Fremdtrainer" in conflict.message
    assert counts() == before
    # Saving again deliberately, from the current version, works.
    assert save_roster(session_id, 2, {coordinator.id: Entry("absent")}, actor_id=trainer.id).version == 3


def test_unchanged_save_from_a_stale_version_is_still_a_conflict(ctx, session_id, trainer, coordinator):
    save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    with pytest.raises(RosterConflict):
        save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)


def test_double_submit_records_once(ctx, session_id, trainer, coordinator):
    first = save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="k1")
    db.session.commit()
    again = save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="k1")
    assert again.duplicate and again.version == first.version == 1
    assert counts() == (1, 1)
    assert db.session.scalar(select(func.count()).select_from(RosterSubmission)) == 1


def test_resubmit_after_a_failed_request_records_once(ctx, session_id, trainer, coordinator):
    save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="k2")
    db.session.rollback()  # the request failed after the service ran: nothing stays
    assert counts() == (0, 0)
    assert save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="k2").version == 1
    db.session.commit()
    assert save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="k2").duplicate


def test_a_resubmitted_form_is_answered_as_saved_even_if_a_participant_on_it_has_left_since(
    ctx, session_id, trainer, coordinator, other_coordinator
):
    """The browser sends the saved form again (reload, back button): it was saved, so the
    trainer hears that, not a complaint about a row that was fine when it was saved."""
    from wirlearn.programme.models import Enrollment

    entries = {coordinator.id: Entry("present"), other_coordinator.id: Entry("late")}
    assert save_roster(session_id, 0, entries, actor_id=trainer.id, submission_key="k3").version == 1
    db.session.scalar(select(Enrollment).where(Enrollment.user_id == other_coordinator.id)).status = "withdrawn"
    db.session.commit()
    again = save_roster(session_id, 0, entries, actor_id=trainer.id, submission_key="k3")
    assert (again.version, again.duplicate) == (1, True)
    assert counts() == (2, 2)


@pytest.mark.parametrize(
    "entry_for, message",
    [
        ("stranger", "nicht (mehr) eingeschrieben"),
        ("withdrawn", "nicht (mehr) eingeschrieben"),
        ("bad_status", "Unbekannter Status"),
        ("long_note", "Notiz ist zu lang"),
    ],
)
def test_bad_rows_are_refused_and_nothing_is_written(
    ctx, factory, programme, session_id, trainer, coordinator, entry_for, message
):
    stranger = factory.user("coordinator", name="Sven Fremd")
    withdrawn = factory.user("coordinator", name="Wanda Weg")
    factory.enroll(programme["main"].id, withdrawn, status="withdrawn")
    entries = {coordinator.id: Entry("present")}
    if entry_for == "stranger":
        entries[stranger.id] = Entry("present")
    elif entry_for == "withdrawn":
        entries[withdrawn.id] = Entry("present")
    elif entry_for == "bad_status":
        entries[coordinator.id] = Entry("krank")
    else:
        entries[coordinator.id] = Entry("present", "x" * 501)
    with pytest.raises(AttendanceError) as caught:
        save_roster(session_id, 0, entries, actor_id=trainer.id)
    assert "Es wurde nichts gespeichert" in caught.value.message
    assert any(message in text for texts in caught.value.errors.values() for text in texts)
    assert counts() == (0, 0)
    assert db.session.get(Session, session_id).attendance_version == 0


def test_participant_of_another_series_is_refused(ctx, factory, programme, trainer, coordinator):
    # The session of series "other" has nobody enrolled: a user from "main" is refused there.
    with pytest.raises(AttendanceError):
        save_roster(programme["other"].session_ids[0], 0, {coordinator.id: Entry("present")}, actor_id=trainer.id)
    assert counts() == (0, 0)


def test_unknown_session_is_refused(ctx, trainer):
    with pytest.raises(AttendanceError):
        save_roster(999999, 0, {}, actor_id=trainer.id)


def test_two_parallel_saves_from_the_same_version_cannot_both_win(app, session_id, trainer, other_trainer, coordinator):
    """Two requests in two threads, each with its own connection, race from version 0: the
    conditional UPDATE lets exactly one win (on PostgreSQL the row lock makes the other wait)."""
    import threading

    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, str] = {}

    def run(name, actor, status):
        with app.app_context():
            try:
                barrier.wait()
                save_roster(session_id, 0, {coordinator.id: Entry(status)}, actor_id=actor.id)
                db.session.commit()
                outcomes[name] = "saved"
            except RosterConflict:
                db.session.rollback()
                outcomes[name] = "conflict"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=("a", trainer, "present")),
        threading.Thread(target=run, args=("b", other_trainer, "absent")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    with app.app_context():
        assert db.session.get(Session, session_id).attendance_version == 1
        assert counts() == (1, 1)


def test_a_self_check_in_between_reading_and_saving_the_roster_gives_way_to_the_trainers_mark(
    app, monkeypatch, session_id, trainer, coordinator
):
    """The participant checks in (in their own request, committed) after the trainer's save has
    read the rows and before it writes them: the trainer's mark is saved over the check-in —
    no error page, one row, both steps in the audit log."""
    from wirlearn.checkin.services import check_in

    calls = meanwhile(
        app, monkeypatch, lambda: check_in(session_id, coordinator.id, now=db.session.get(Session, session_id).starts_at)
    )
    with app.app_context():
        result = save_roster(session_id, 0, {coordinator.id: Entry("absent", "Kam nicht")}, actor_id=trainer.id)
        db.session.commit()
        assert calls and result.version == 1
        rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert [(row.status, row.note, row.updated_by_id) for row in rows] == [("absent", "Kam nicht", trainer.id)]
        events = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "attendance").order_by(AuditEvent.id)
        ).all()
        assert events == ["attendance.self_checkin", "attendance.changed"]
        assert result.changed_enrollment_ids == {rows[0].enrollment_id}


def test_a_double_submit_whose_twin_saves_while_it_runs_is_answered_as_saved_once_not_as_a_conflict(
    app, monkeypatch, session_id, trainer, coordinator
):
    """Both requests of a double click read the roster before either has saved; the first
    commits while the second is still working. The second then finds the form's key taken:
    the trainer sees "saved" (the first save's version), not a conflict with their own rows."""
    from wirlearn.attendance import services as attendance_services

    started = meanwhile(
        app,
        monkeypatch,
        lambda: save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="twin"),
    )
    with app.app_context():
        again = save_roster(session_id, 0, {coordinator.id: Entry("present")}, actor_id=trainer.id, submission_key="twin")
        db.session.commit()
        assert started and again == attendance_services.SaveResult(version=1, duplicate=True)
        assert counts() == (1, 1)


def test_after_a_self_check_in_in_between_the_rest_of_the_roster_is_saved_too(
    app, monkeypatch, session_id, trainer, coordinator, other_coordinator
):
    """The check-in lands on one row of a roster that also marks someone without a row yet:
    saving again over the check-in still writes the new row, in this session."""
    from wirlearn.checkin.services import check_in

    started = meanwhile(
        app, monkeypatch, lambda: check_in(session_id, coordinator.id, now=db.session.get(Session, session_id).starts_at)
    )
    entries = {coordinator.id: Entry("absent"), other_coordinator.id: Entry("late", "Stau")}
    with app.app_context():
        assert save_roster(session_id, 0, entries, actor_id=trainer.id).version == 1
        db.session.commit()
        assert started
        assert {row.user_id: (row.status, row.note, row.roster_version) for row in load_roster(session_id).rows} == {
            coordinator.id: ("absent", "", 1),
            other_coordinator.id: ("late", "Stau", 1),
        }
