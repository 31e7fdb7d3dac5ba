"""Sending what the outbox holds: claim, render, send, mark — one message at a time.

* **Claiming** sets ``locked_until`` (a lease) and ``claimed_by`` on a batch of due rows in one
  conditional UPDATE and commits; two workers never take the same row, and a worker that dies
  leaves its rows leased until the lease runs out, when any worker takes them again.
* **Marking** commits each message's outcome on its own, so a worker killed mid-batch leaves
  every message either sent, scheduled for a retry, or still leased: nothing half-marked.
  A kill between the SMTP server's "250 OK" and the commit sends that message again, with the
  same Message-ID (at-least-once delivery).
* **Failures**: an SMTP answer 5xx for the message or its recipient fails that message at once
  ("failed", visible in the Postausgang); anything else (server down, 4xx, time-out) is retried
  with exponential backoff from 1 minute up to 6 hours, and the message is given up as
  "failed" ``MAIL_GIVE_UP_HOURS`` (24) after it was queued.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from wirlearn.auth.models import User
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.mail import kinds as kinds_module
from wirlearn.mail.models import OutboxMessage
from wirlearn.mail.render import recipient_locale, render

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 6 * 3600
PENDING = ("queued", "retrying")


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the ``attempts``-th failed attempt, at most 6 hours."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


def _due(now: datetime):
    return (
        OutboxMessage.status.in_(PENDING),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
    )


def claim(limit: int, owner: str, now: datetime | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for ``owner`` and commit the lease."""
    now = now or utcnow()
    query = select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if not ids:
        db.session.commit()
        return []
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), *_due(now))
        .values(locked_until=now + LEASE, claimed_by=owner, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == owner)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    )
    # Detached: each message's own commit (``_finish``) must not expire and reload the others.
    for message in messages:
        db.session.expunge(message)
    return messages


def _finish(message: OutboxMessage, owner: str, **values) -> None:
    """Record one message's outcome, only while this worker still holds it."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == owner)
        .values(locked_until=None, claimed_by=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _failure(message: OutboxMessage, error: str, *, permanent: bool, now: datetime) -> dict:
    give_up = message.give_up_at or now
    if permanent or now >= give_up:
        return {"status": "failed", "last_error": error[:2000]}
    return {"status": "retrying", "last_error": error[:2000], "next_attempt_at": now + retry_delay(message.attempts)}


def _smtp_error(error: Exception) -> tuple[str, bool]:
    """A readable error and whether it is permanent (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        answers = "; ".join(
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in error.recipients.values()
        )
        return _("Empfänger abgelehnt: %(answer)s", answer=answers), all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return _("Der Mailserver antwortete: %(code)s %(text)s", code=error.smtp_code, text=text), 500 <= error.smtp_code < 600
    return _("Mailserver nicht erreichbar: %(error)s", error=str(error) or error.__class__.__name__), False


def prepare(message: OutboxMessage):
    """The e-mail for one outbox row, rendered now; ``Skip`` when it is no longer due."""
    kind = kinds_module.KINDS.get(message.kind)
    if kind is None:
        raise kinds_module.Skip(f"unknown kind {message.kind}")
    user = db.session.get(User, message.user_id) if message.user_id else None
    if kind.needs_user and (user is None or not user.active):
        raise kinds_module.Skip(_("Die Person ist nicht mehr aktiv."))
    if user is not None and kind.category != "always":
        from wirlearn.mail.services import wants

        if not wants(user.id, kind.category):
            raise kinds_module.Skip(_("Abbestellt"))
    draft = kind.build(message, user)
    person = draft.recipient or user
    return render(message, draft, to_name=person.display_name if person else None, locale=recipient_locale(person)), draft


def send_due(limit: int = 1000, batch: int = 50, now_func=utcnow) -> DrainResult:
    """Send every due message (at most ``limit``) once over one SMTP connection."""
    result = DrainResult()
    owner = uuid.uuid4().hex
    connection = _connection()
    try:
        while result.handled < limit:
            messages = claim(min(batch, limit - result.handled), owner, now_func())
            if not messages:
                break
            for index, message in enumerate(messages):
                outcome = _send_one(message, owner, connection, now_func)
                if outcome == "unreachable":
                    # The server is away: this message and the rest of the batch wait for their retry.
                    for rest in messages[index:]:
                        _finish(rest, owner, **_failure(rest, connection.last_error, permanent=False, now=now_func()))
                        result.retrying += 1
                    return result
                setattr(result, outcome, getattr(result, outcome) + 1)
    finally:
        connection.close()
    return result


def _connection():
    from flask_mailman import Mail

    mailman = Mail()
    mailman.app = current_app._get_current_object()
    return mailman.get_connection(fail_silently=False)


# Errors about the connection, not about one message: the server is down or refuses us.
CONNECTION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
)


def _message_level(error: Exception) -> bool:
    if isinstance(error, CONNECTION_ERRORS):
        return False
    return isinstance(error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException))


def _send_one(message: OutboxMessage, owner: str, connection, now_func) -> str:
    try:
        email, _draft = prepare(message)
    except kinds_module.Skip as skip:
        db.session.rollback()
        _finish(message, owner, status="cancelled", last_error=str(skip)[:2000])
        return "cancelled"
    except Exception as error:
        log.exception("outbox message %s could not be rendered", message.id)
        db.session.rollback()
        _finish(message, owner, **_failure(message, f"{error.__class__.__name__}: {error}", permanent=False, now=now_func()))
        return "retrying"
    subject = email.subject[:300]
    try:
        connection.open()
        connection.send_messages([email])
    except (smtplib.SMTPException, OSError) as error:
        text, permanent = _smtp_error(error)
        if not _message_level(error):
            connection.close()
            connection.last_error = text
            return "unreachable"
        _reset(connection)
        values = _failure(message, text, permanent=permanent, now=now_func())
        _finish(message, owner, subject=subject, **values)
        return values["status"]
    _finish(message, owner, status="sent", sent_at=now_func(), subject=subject)
    return "sent"


def _reset(connection) -> None:
    """After a refused message the SMTP session goes on with the next one (RSET)."""
    smtp = getattr(connection, "connection", None)
    if smtp is not None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            connection.close()
