"""Attendance warnings: one message per change of the forecast state, none for roster saves
that do not change it; the programme office's daily digest; nudges for unsaved rosters."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest

from tests.mail_support import drain, mail_settings, outbox, parts, subject
from wirlearn.attendance.services import Entry, save_roster
from wirlearn.core.timeutil import local_now
from wirlearn.extensions import db
from wirlearn.mail import warnings
from wirlearn.mail.warnings import DONE, MUST_ATTEND_ALL, ON_TRACK, UNREACHABLE, forecast_state, warning_for


def progress(held, attended, upcoming, *, unrecorded=0, minimum=80, reachable=True, withdrawn=False):
    return SimpleNamespace(
        sessions_held=held,
        sessions_attended=attended,
        sessions_upcoming=upcoming,
        sessions_unrecorded=unrecorded,
        min_attendance_percent=minimum,
        reachable=reachable,
        withdrawn=withdrawn,
    )


@pytest.mark.parametrize(
    ("item", "state"),
    [
        (progress(2, 2, 4), ON_TRACK),  # 5 of 6 still possible after one more miss
        (progress(3, 2, 3), MUST_ATTEND_ALL),  # 5 of 6 only if every remaining one is attended
        (progress(2, 1, 2, unrecorded=1), MUST_ATTEND_ALL),  # an unrecorded session may still count
        (progress(4, 2, 2, reachable=False), UNREACHABLE),
        (progress(6, 6, 0), DONE),
        (progress(2, 2, 4, withdrawn=True), DONE),
    ],
)
def test_forecast_state(item, state):
    assert forecast_state(item) == state


def test_warning_for_a_change_of_state_only():
    assert warning_for(None, MUST_ATTEND_ALL) == MUST_ATTEND_ALL
    assert warning_for(ON_TRACK, MUST_ATTEND_ALL) == MUST_ATTEND_ALL
    assert warning_for(MUST_ATTEND_ALL, UNREACHABLE) == UNREACHABLE
    assert warning_for(MUST_ATTEND_ALL, MUST_ATTEND_ALL) is None
    assert warning_for(UNREACHABLE, UNREACHABLE) is None
    assert warning_for(MUST_ATTEND_ALL, ON_TRACK) is None
    assert warning_for(None, ON_TRACK) is None
    assert warning_for(ON_TRACK, DONE) is None


@pytest.fixture
def app_settings(smtp):
    return mail_settings(smtp)


@pytest.fixture
def six_sessions(factory, trainer, coordinator, other_coordinator):
    """Six sessions: four held (10 to 7 days ago), two to come; 80 % needed."""
    return factory.series(
        trainers=(trainer,),
        coordinators=(coordinator, other_coordinator),
        modules=({"title": "Grundlagen"}, {"title": "Praxis"}),
        days=((-10, -9, -8), (-7, 5, 6)),
    )


def save(app, session_id, statuses, trainer, note=""):
    from wirlearn.programme.models import Session

    with app.app_context():
        version = db.session.get(Session, session_id).attendance_version
        save_roster(session_id, version, {uid: Entry(status, note) for uid, status in statuses.items()}, actor_id=trainer.id)
        db.session.commit()


def test_one_warning_per_change_of_state_none_for_saves_that_change_nothing(
    app, six_sessions, trainer, coordinator, other_coordinator, smtp
):
    s1, s2, s3, s4, *_ = six_sessions.session_ids
    everyone_present = {coordinator.id: "present", other_coordinator.id: "present"}
    save(app, s1, everyone_present, trainer)
    save(app, s2, everyone_present, trainer)
    assert outbox(app, kind="forecast_warning") == []  # on track: nothing to say

    save(app, s3, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer)
    [first] = outbox(app, kind="forecast_warning")
    assert first.to_address == coordinator.email and first.payload == {"state": MUST_ATTEND_ALL}

    # Saving again (a note changed, nothing else) changes no forecast: no second message.
    save(app, s3, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer, note="krank")
    save(app, s2, everyone_present, trainer, note="pünktlich")
    assert len(outbox(app, kind="forecast_warning")) == 1

    save(app, s4, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer)
    rows = outbox(app, kind="forecast_warning")
    assert [row.payload["state"] for row in rows] == [MUST_ATTEND_ALL, UNREACHABLE]
    assert {row.to_address for row in rows} == {coordinator.email}

    # The first warning is out of date by now and is not sent; the second is.
    result = drain(app)
    assert (result.sent, result.cancelled) == (1, 1)
    [message] = smtp.messages_to(coordinator.email)
    assert subject(message).startswith("Mindestanwesenheit nicht mehr erreichbar")
    text, html = parts(message)
    assert "nicht mehr erreichen" in text and "80 %" in text


def test_warning_email_for_must_attend_all(app, six_sessions, trainer, coordinator, other_coordinator, smtp):
    s1, s2, s3, *_ = six_sessions.session_ids
    save(app, s1, {coordinator.id: "present", other_coordinator.id: "present"}, trainer)
    save(app, s2, {coordinator.id: "present", other_coordinator.id: "present"}, trainer)
    save(app, s3, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer)
    drain(app)
    [message] = smtp.messages_to(coordinator.email)
    assert subject(message).startswith("Wichtig: Bitte nehmen Sie an allen weiteren Terminen teil")
    text, _html = parts(message)
    assert "an allen weiteren Terminen teilnehmen" in text and "Ihre nächsten Termine" in text


def test_switched_off_warnings_are_not_queued(app, client, login, six_sessions, trainer, coordinator, other_coordinator):
    login(client, coordinator)
    client.post("/konto/benachrichtigungen", data={"reminders": "y"})
    s1, s2, s3, *_ = six_sessions.session_ids
    for session_id in (s1, s2):
        save(app, session_id, {coordinator.id: "present", other_coordinator.id: "present"}, trainer)
    save(app, s3, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer)
    assert outbox(app, kind="forecast_warning") == []


def digest_time() -> datetime:
    """A moment whose digest window contains now."""
    now = local_now()
    day = now.date() + timedelta(days=1) if now.hour >= 7 else now.date()
    return datetime.combine(day, time(7, 30))


def test_daily_digest_for_the_programme_office(app, admin, six_sessions, trainer, coordinator, other_coordinator, smtp):
    s1, s2, s3, *_ = six_sessions.session_ids
    with app.app_context():
        assert warnings.queue_digests(digest_time()) == 0  # nothing changed: no digest
    for session_id in (s1, s2):
        save(app, session_id, {coordinator.id: "present", other_coordinator.id: "present"}, trainer)
    save(app, s3, {coordinator.id: "absent", other_coordinator.id: "present"}, trainer)
    with app.app_context():
        assert warnings.queue_digests(digest_time().replace(hour=6)) == 0  # before the digest hour
        assert warnings.queue_digests(digest_time()) == 1
        assert warnings.queue_digests(digest_time() + timedelta(hours=2)) == 0  # once a day
        db.session.commit()
    drain(app)
    [message] = smtp.messages_to(admin.email)
    assert subject(message) == "Anwesenheit: 1 Teilnahme gefährdet (Tagesübersicht)"
    text, _html = parts(message)
    assert "Ayşe Yılmaz" in text and "muss alle weiteren Termine besuchen" in text


def test_trainer_nudged_once_when_a_roster_is_unsaved_a_day_after(app, factory, trainer, coordinator, smtp):
    series = factory.series(trainers=(trainer,), coordinators=(coordinator,), modules=({"title": "Modul"},), days=((-2, -1),))
    ended_two_days_ago, ended_yesterday = series.session_ids
    now = local_now()
    with app.app_context():
        count = warnings.queue_nudges(now)
        db.session.commit()
    # Yesterday's session ended 16:00 yesterday: nudged only once 24 hours have passed.
    expected = 2 if now.time() >= time(16, 0) else 1
    assert count == expected
    with app.app_context():
        assert warnings.queue_nudges(now) == 0
        db.session.commit()
    save(app, ended_two_days_ago, {coordinator.id: "present"}, trainer)
    drain(app)
    statuses = {m.ref_id: m.status for m in outbox(app, kind="roster_nudge")}
    assert statuses[ended_two_days_ago] == "cancelled"  # saved before the nudge went out
    assert statuses.get(ended_yesterday, "sent") == "sent"
    nudges = [message for message in smtp.messages_to(trainer.email) if "noch nicht erfasst" in subject(message)]
    assert len(nudges) == expected - 1
    if nudges:
        assert "/termine/" in parts(nudges[0])[0]
