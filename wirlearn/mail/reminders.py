"""Reminders the day before a session (with a calendar file), updates when a session moves,
cancellations when it is deleted, and each person's calendar feed.

Queuing reminders is one INSERT … SELECT per audience (participants, trainers) with the
de-duplication key ``reminder:{session}:{user}:{starts_at}`` built in SQL: the same statements
for a series of 33 as for 10,000 participants, nothing held in memory, and a reminder is never
queued twice however often the periodic job runs. A moved session gets a new key, so its
reminder goes out again for the new time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime as SADateTime
from sqlalchemy import Integer, String, and_, cast, literal, or_, select, update
from sqlalchemy.orm import selectinload

from wirlearn import signals
from wirlearn.auth.models import User
from wirlearn.core.timeutil import local_now, local_today, utcnow
from wirlearn.extensions import db
from wirlearn.mail.calendar import SessionFacts, calendar, event, session_ics
from wirlearn.mail.kinds import Attachment, Draft, Kind, Skip, register_kind
from wirlearn.mail.models import MailPreference, OutboxMessage
from wirlearn.mail.outbox import give_up_at, queue_message, queue_selected
from wirlearn.programme.models import Enrollment, Module, Series, Session, session_trainers

PENDING = ("queued", "retrying")
FEED_DAYS_BACK = 365


def _due_sessions(now: datetime):
    """Sessions whose reminder is due at local time ``now``: tomorrow's once the series' hour
    has come, and today's not yet begun (a session added late, or a worker that was down)."""
    today = now.date()
    return (
        select(Session.id, Session.date, Session.start_time, Module.series_id)
        .join(Module, Module.id == Session.module_id)
        .join(Series, Series.id == Module.series_id)
        .where(
            Series.reminder_hour.is_not(None),
            or_(
                and_(Session.date == today + timedelta(days=1), Series.reminder_hour <= now.hour),
                and_(Session.date == today, Session.start_time > now.time()),
            ),
        )
        .subquery()
    )


def _wants_reminders():
    return or_(MailPreference.reminders.is_(None), MailPreference.reminders.is_(True))


def _columns(due, now_utc: datetime):
    key = (
        literal("reminder:")
        + cast(due.c.id, String)
        + literal(":")
        + cast(User.id, String)
        + literal(":")
        + cast(due.c.date, String)
        + literal("T")
        + cast(due.c.start_time, String)
    )
    return (
        literal("reminder"),
        key,
        User.id,
        User.email,
        due.c.id,
        literal("queued"),
        literal(0, Integer),
        literal(now_utc, SADateTime),
        literal(now_utc, SADateTime),
        literal(give_up_at(now_utc), SADateTime),
    )


def queue_reminders(now: datetime | None = None) -> int:
    """Queue every reminder due at local time ``now`` (default: now). Two statements."""
    now = now or local_now()
    now_utc = utcnow()
    due = _due_sessions(now)
    participants = (
        select(*_columns(due, now_utc))
        .select_from(due)
        .join(Enrollment, Enrollment.series_id == due.c.series_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(MailPreference, MailPreference.user_id == User.id)
        .where(Enrollment.status == "active", User.active.is_(True), _wants_reminders())
    )
    trainers = (
        select(*_columns(due, now_utc))
        .select_from(due)
        .join(session_trainers, session_trainers.c.session_id == due.c.id)
        .join(User, User.id == session_trainers.c.user_id)
        .outerjoin(MailPreference, MailPreference.user_id == User.id)
        .where(User.active.is_(True), _wants_reminders())
    )
    return queue_selected(participants) + queue_selected(trainers)


def _session(session_id: int | None) -> Session | None:
    if not session_id:
        return None
    return db.session.get(
        Session, session_id, options=[selectinload(Session.trainers), selectinload(Session.module).joinedload(Module.series)]
    )


def _context(facts: SessionFacts, user: User, session: Session | None) -> dict:
    is_trainer = session is not None and any(trainer.id == user.id for trainer in session.trainers)
    return {"user": user, "session": facts, "is_trainer": is_trainer}


def build_reminder(message, user) -> Draft:
    session = _session(message.ref_id)
    if session is None:
        raise Skip(_("Den Termin gibt es nicht mehr."))
    facts = SessionFacts.of(session)
    if facts.starts_at <= datetime.now(UTC):
        raise Skip(_("Der Termin hat schon begonnen."))
    return Draft(
        "reminder",
        _context(facts, user, session),
        reason=_l("Sie für diesen Termin eingeplant sind"),
        attachments=[Attachment("termin.ics", session_ics(facts), "text/calendar", calendar_method="PUBLISH")],
    )


def build_update(message, user) -> Draft:
    session = _session(message.ref_id)
    if session is None:
        raise Skip(_("Den Termin gibt es nicht mehr."))
    facts = SessionFacts.of(session)
    before = _readable((message.payload or {}).get("before") or {})
    return Draft(
        "session_update",
        _context(facts, user, session) | {"before": before},
        reason=_l("Sie eine Erinnerung an diesen Termin erhalten haben"),
        attachments=[Attachment("termin.ics", session_ics(facts), "text/calendar", calendar_method="PUBLISH")],
    )


def _readable(before: dict) -> dict:
    """The stored earlier values (ISO text) as dates and times the templates format."""
    from datetime import date, time

    parsers = {"date": date.fromisoformat, "start_time": time.fromisoformat, "end_time": time.fromisoformat}
    return {key: parsers[key](value) if key in parsers and value else value for key, value in before.items() if key != "trainers"}


def build_cancelled(message, user) -> Draft:
    facts = SessionFacts.from_payload((message.payload or {})["session"])
    return Draft(
        "session_cancelled",
        {"user": user, "session": facts, "is_trainer": False},
        reason=_l("Sie eine Erinnerung an diesen Termin erhalten haben"),
        attachments=[
            Attachment("termin-abgesagt.ics", session_ics(facts, cancelled=True), "text/calendar", calendar_method="CANCEL")
        ],
    )


def _reminded(session_id: int):
    """The people who already have this session in their calendar from a reminder or update."""
    return db.session.execute(
        select(User.id, User.email)
        .join(OutboxMessage, OutboxMessage.user_id == User.id)
        .where(
            OutboxMessage.ref_id == session_id,
            OutboxMessage.kind.in_(("reminder", "session_update")),
            OutboxMessage.status == "sent",
        )
        .distinct()
    ).all()


def _drop_waiting_reminders(session_id: int, reason: str) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == "reminder", OutboxMessage.ref_id == session_id, OutboxMessage.status.in_(PENDING))
        .values(status="cancelled", last_error=reason)
        .execution_options(synchronize_session=False)
    )


def on_session_changed(session: Session, before: dict | None = None, **_extra) -> None:
    """A moved session: reminders still waiting are dropped (the new time gets its own), and
    whoever got one already receives an update with the new calendar entry."""
    _drop_waiting_reminders(session.id, _("Termin geändert"))
    sequence = session.calendar_sequence
    for user_id, email in _reminded(session.id):
        queue_message(
            "session_update",
            f"session-update:{session.id}:{user_id}:{sequence}",
            to_address=email,
            user_id=user_id,
            ref_id=session.id,
            payload={"before": before or {}},
        )


def on_session_cancelled(session: Session, **_extra) -> None:
    _drop_waiting_reminders(session.id, _("Termin abgesagt"))
    facts = SessionFacts.of(session).to_payload()
    for user_id, email in _reminded(session.id):
        queue_message(
            "session_cancelled",
            f"session-cancel:{session.id}:{user_id}",
            to_address=email,
            user_id=user_id,
            ref_id=session.id,
            payload={"session": facts},
        )


# --- the personal calendar feed ---------------------------------------------------------------


def sessions_for_user(user_id: int) -> list[Session]:
    """The person's sessions as participant (enrolled, not withdrawn) and as trainer, from a year
    back on. Three queries."""
    since = local_today() - timedelta(days=FEED_DAYS_BACK)
    as_participant = (
        select(Session.id)
        .join(Module, Module.id == Session.module_id)
        .join(Enrollment, Enrollment.series_id == Module.series_id)
        .where(Enrollment.user_id == user_id, Enrollment.status != "withdrawn")
    )
    as_trainer = select(session_trainers.c.session_id).where(session_trainers.c.user_id == user_id)
    return list(
        db.session.scalars(
            select(Session)
            .where(or_(Session.id.in_(as_participant), Session.id.in_(as_trainer)), Session.date >= since)
            .options(selectinload(Session.module).joinedload(Module.series), selectinload(Session.trainers))
            .order_by(Session.date, Session.start_time, Session.id)
        )
    )


def feed(user_id: int, name: str) -> bytes:
    stamp = datetime.now(UTC).replace(microsecond=0)
    return calendar(
        [event(SessionFacts.of(session), stamp=stamp) for session in sessions_for_user(user_id)], method=None, name=name
    )


def register() -> None:
    register_kind(Kind("reminder", "reminders", _l("Terminerinnerung"), build_reminder))
    register_kind(Kind("session_update", "reminders", _l("Termin geändert"), build_update))
    register_kind(Kind("session_cancelled", "reminders", _l("Termin abgesagt"), build_cancelled))
    signals.session_changed.connect(on_session_changed)
    signals.session_cancelled.connect(on_session_cancelled)
