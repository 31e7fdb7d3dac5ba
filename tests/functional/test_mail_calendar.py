"""Reminders the day before a session with a calendar file, updates and cancellations, the
personal calendar feed; the .ics files parsed back with the ``icalendar`` package."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.factories import tomorrow
from tests.mail_support import attachments, drain, mail_settings, outbox, parts, subject
from tests.querycount import count_queries
from wirlearn.core.timeutil import local_now
from wirlearn.extensions import db
from wirlearn.mail import reminders
from wirlearn.mail.calendar import SessionFacts, session_ics
from wirlearn.programme.models import Enrollment, Session

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def app_settings(smtp):
    return mail_settings(smtp)


@pytest.fixture
def series(factory, trainer, coordinator, other_coordinator):
    """One session tomorrow at 9:00 (reminders from 17:00 the day before), one in three weeks."""
    return factory.series(
        trainers=(trainer,), coordinators=(coordinator, other_coordinator), modules=({"title": "Grundlagen"},), days=((1, 21),)
    )


def evening_before(hour: int = 17) -> datetime:
    return datetime.combine(tomorrow() - timedelta(days=1), time(hour, 5))


def queue(app, now: datetime) -> int:
    with app.app_context():
        count = reminders.queue_reminders(now)
        db.session.commit()
        return count


def ics_of(message) -> Calendar:
    [(content_type, content)] = [value for name, value in attachments(message).items() if name.endswith(".ics")]
    assert content_type == "text/calendar"
    return Calendar.from_ical(content)


def test_reminders_go_to_participants_and_trainers_once_from_the_series_hour(
    app, series, trainer, coordinator, other_coordinator, smtp
):
    assert queue(app, evening_before(16)) == 0
    assert queue(app, evening_before(17)) == 3
    assert queue(app, evening_before(18)) == 0  # the key is known: never twice
    assert sorted(m.to_address for m in outbox(app, kind="reminder")) == sorted(
        [trainer.email, coordinator.email, other_coordinator.email]
    )
    assert drain(app).sent == 3
    message = smtp.messages_to(coordinator.email)[0]
    assert subject(message).startswith("Erinnerung: Grundlagen am ")
    text, html = parts(message)
    assert "09:00 bis 16:00 Uhr" in text and "Raum 1" in text and "Tina Trainer" in text
    assert "zur Erinnerung an Ihren nächsten Termin" in text
    assert "unter „E-Mails & Kalender“ abbestellen" in text  # an optional mail says how to stop it
    trainer_text = parts(smtp.messages_to(trainer.email)[0])[0]
    assert "Sie leiten diesen Termin" in trainer_text

    calendar = ics_of(message)
    assert calendar["METHOD"] == "PUBLISH"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == datetime.combine(tomorrow(), time(9, 0), tzinfo=BERLIN)
    assert (
        str(start.tzinfo) == "Europe/Berlin"
        or start.utcoffset() == datetime.combine(tomorrow(), time(9), tzinfo=BERLIN).utcoffset()
    )
    assert event["UID"] == f"session-{series.session_ids[0]}@wirlearn.test"
    assert event["SEQUENCE"] == 0
    assert "Grundlagen" in event["SUMMARY"] and event["LOCATION"] == "Raum 1"


def test_no_reminders_for_opted_out_withdrawn_or_series_without_hour(
    app, client, login, series, coordinator, other_coordinator, factory, trainer
):
    login(client, coordinator)
    assert client.post("/konto/benachrichtigungen", data={"warnings": "y"}).status_code == 302  # reminders off
    with app.app_context():
        enrollment = db.session.query(Enrollment).filter_by(user_id=other_coordinator.id, series_id=series.id).one()
        enrollment.status = "withdrawn"
        db.session.commit()
    quiet = factory.series(trainers=(trainer,), coordinators=(coordinator,), days=((1,), (2,)), reminder_hour=None)
    assert quiet
    queued = queue(app, evening_before(17))
    assert [m.to_address for m in outbox(app, kind="reminder")] == [trainer.email]
    assert queued == 1  # the trainer only


def test_queuing_reminders_costs_the_same_statements_for_3_and_30_participants(app, factory, trainer):
    def statements(participants: int) -> int:
        people = tuple(factory.user("coordinator") for _ in range(participants))
        factory.series(trainers=(trainer,), coordinators=people, modules=({"title": "M"},), days=((1,),))
        with app.app_context():
            with count_queries(db.engine) as counter:
                queued = reminders.queue_reminders(evening_before(17))
            db.session.commit()
        assert queued >= participants
        return counter.count

    small = statements(3)
    assert statements(30) == small <= 2


def test_a_moved_session_sends_an_update_with_the_next_sequence(app, series, coordinator, smtp):
    queue(app, evening_before(17))
    drain(app)
    from wirlearn.programme.services import update_session

    with app.app_context():
        session = db.session.get(Session, series.session_ids[0])
        update_session(
            session,
            {"date": session.date, "start_time": time(10, 30), "end_time": time(17, 0), "place": "Raum 2"},
            [t.id for t in session.trainers],
        )
        db.session.commit()
    updates = outbox(app, kind="session_update")
    assert len(updates) == 3
    drain(app)
    message = smtp.messages_to(coordinator.email)[-1]
    assert subject(message).startswith("Termin geändert: Grundlagen, jetzt am ")
    text, _html = parts(message)
    assert "10:30 bis 17:00 Uhr" in text and "Bisher:" in text and "09:00" in text and "Raum 1" in text
    [event] = ics_of(message).walk("VEVENT")
    assert event["UID"] == f"session-{series.session_ids[0]}@wirlearn.test"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").time() == time(10, 30)
    # The moved session's reminder (new start) is a new message; the old key is done.
    assert queue(app, evening_before(17)) == 3


def test_a_moved_session_cancels_reminders_still_waiting(app, series):
    queue(app, evening_before(17))
    from wirlearn.programme.services import update_session

    with app.app_context():
        session = db.session.get(Session, series.session_ids[0])
        update_session(
            session,
            {"date": session.date + timedelta(days=7), "start_time": session.start_time, "end_time": session.end_time},
            [t.id for t in session.trainers],
        )
        db.session.commit()
    assert {m.status for m in outbox(app, kind="reminder")} == {"cancelled"}
    assert outbox(app, kind="session_update") == []  # nobody had it in the calendar yet


def test_a_deleted_session_sends_a_cancellation(app, series, coordinator, smtp):
    queue(app, evening_before(17))
    drain(app)
    from wirlearn.programme.services import delete_session

    with app.app_context():
        delete_session(db.session.get(Session, series.session_ids[0]))
        db.session.commit()
    assert drain(app).sent == 3
    message = smtp.messages_to(coordinator.email)[-1]
    assert subject(message).startswith("Termin abgesagt: Grundlagen am ")
    calendar = ics_of(message)
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    assert event["UID"] == f"session-{series.session_ids[0]}@wirlearn.test"
    content_type = next(part for part in message.iter_attachments() if part.get_filename().endswith(".ics"))
    assert content_type.get_param("method") == "CANCEL"


@pytest.mark.parametrize(
    ("day", "offset_hours"),
    [(date(2027, 3, 27), 1), (date(2027, 3, 29), 2), (date(2027, 10, 30), 2), (date(2027, 11, 1), 1)],
)
def test_times_stay_local_across_the_change_to_and_from_summer_time(app, day, offset_hours):
    facts = SessionFacts(1, day, time(9, 0), time(16, 0), "Wiesbaden", "Modul", "Reihe", 0)
    with app.app_context():
        calendar = Calendar.from_ical(session_ics(facts))
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute) == (9, 0)
    assert start.utcoffset() == timedelta(hours=offset_hours)
    with app.app_context():
        assert b"DTSTART;TZID=Europe/Berlin:" in session_ics(facts)
    [timezone] = calendar.walk("VTIMEZONE")
    transitions = [component.name for component in timezone.subcomponents]
    assert "DAYLIGHT" in transitions and "STANDARD" in transitions


def test_calendar_feed_shows_my_sessions_and_dies_when_revoked(app, client, login, series, coordinator, other_trainer):
    login(client, coordinator)
    page = client.post("/konto/kalender").get_data(as_text=True)
    url = page.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
    assert url.startswith("http://wirlearn.test/kalender/") and url.endswith(".ics")
    path = url.removeprefix("http://wirlearn.test")
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = Calendar.from_ical(feed.data)
    uids = sorted(str(event["UID"]) for event in calendar.walk("VEVENT"))
    assert uids == sorted(f"session-{sid}@wirlearn.test" for sid in series.session_ids)
    assert "METHOD" not in calendar
    # Shown once only; afterwards the page says there is one, without the address.
    again = client.get("/konto/benachrichtigungen").get_data(as_text=True)
    assert path not in again and "Sie haben eine Kalender-Adresse" in again
    # A new address makes the old one 404; revoking makes every one 404.
    page = client.post("/konto/kalender").get_data(as_text=True)
    new_path = page.split('readonly value="')[1].split('"')[0].removeprefix("http://wirlearn.test")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200
    client.post("/konto/kalender/widerrufen")
    assert anonymous.get(new_path).status_code == 404
    assert anonymous.get("/kalender/falsch.ics").status_code == 404
    assert anonymous.get("/kalender/" + "x" * 300 + ".ics").status_code == 404


def test_trainers_feed_has_the_sessions_they_lead(app, client, login, series, trainer):
    login(client, trainer)
    page = client.post("/konto/kalender").get_data(as_text=True)
    path = page.split('readonly value="')[1].split('"')[0].removeprefix("http://wirlearn.test")
    calendar = Calendar.from_ical(app.test_client().get(path).data)
    assert len(calendar.walk("VEVENT")) == len(series.session_ids)


def test_preferences_page_saves_choices(app, client, login, coordinator):
    login(client, coordinator)
    page = client.get("/konto/benachrichtigungen").get_data(as_text=True)
    assert "Erinnerungen an Termine" in page and "Tägliche Übersicht" not in page  # digests are for admins
    client.post("/konto/benachrichtigungen", data={"reminders": "y"})
    from wirlearn.mail.services import wants

    with app.app_context():
        assert wants(coordinator.id, "reminders") and not wants(coordinator.id, "warnings")
        assert wants(coordinator.id, "always")
    assert local_now()
