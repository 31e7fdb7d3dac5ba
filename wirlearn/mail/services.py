"""Mail settings, the calendar feed token, and what the Postausgang does with a message.

Functions flush but do not commit; the caller commits (one request, one transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.mail.kinds import OPTIONAL_CATEGORIES
from wirlearn.mail.models import MailPreference, OutboxMessage
from wirlearn.mail.outbox import give_up_at, poke


class OutboxError(Exception):
    """Refused; the message is for the admin."""


# --- preferences ------------------------------------------------------------------------------


def preferences(user_id: int) -> MailPreference:
    """The person's settings (defaults when none are stored yet; not added to the session)."""
    return db.session.get(MailPreference, user_id) or MailPreference(user_id=user_id, reminders=True, warnings=True, digests=True)


def wants(user_id: int, category: str) -> bool:
    if category not in OPTIONAL_CATEGORIES:
        return True
    return bool(getattr(preferences(user_id), category))


def set_preferences(user_id: int, **choices: bool) -> MailPreference:
    unknown = set(choices) - set(OPTIONAL_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    row = db.session.get(MailPreference, user_id)
    if row is None:
        row = MailPreference(user_id=user_id, reminders=True, warnings=True, digests=True)
        db.session.add(row)
    for name, value in choices.items():
        setattr(row, name, bool(value))
    db.session.flush()
    return row


# --- the personal calendar feed ---------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_calendar_token(user_id: int) -> str:
    """A new secret feed address for the person; the previous one stops working. The token is
    returned once and only its hash is stored."""
    token = secrets.token_urlsafe(24)
    row = db.session.get(MailPreference, user_id)
    if row is None:
        row = MailPreference(user_id=user_id, reminders=True, warnings=True, digests=True)
        db.session.add(row)
    row.calendar_token_hash = _token_hash(token)
    row.calendar_token_created_at = utcnow()
    db.session.flush()
    return token


def revoke_calendar_token(user_id: int) -> None:
    row = db.session.get(MailPreference, user_id)
    if row is not None:
        row.calendar_token_hash = None
        row.calendar_token_created_at = None
        db.session.flush()


def user_id_for_calendar_token(token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(MailPreference.user_id).where(MailPreference.calendar_token_hash == _token_hash(token)))


# --- the Postausgang --------------------------------------------------------------------------


def retry(message_id: int) -> OutboxMessage:
    """Send a failed, cancelled or waiting message again, now, with a fresh day of retries."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise OutboxError(_("Diese Nachricht gibt es nicht."))
    if message.status == "sent":
        raise OutboxError(_("Diese Nachricht wurde bereits gesendet."))
    now = utcnow()
    message.status = "queued"
    message.next_attempt_at = now
    message.give_up_at = give_up_at(now)
    message.locked_until = None
    message.claimed_by = None
    db.session.flush()
    poke()
    return message


def cancel(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise OutboxError(_("Diese Nachricht gibt es nicht."))
    if message.status not in ("queued", "retrying", "failed"):
        raise OutboxError(_("Nur wartende oder fehlgeschlagene Nachrichten können verworfen werden."))
    message.status = "cancelled"
    message.last_error = _("Im Postausgang verworfen")
    message.locked_until = None
    message.claimed_by = None
    db.session.flush()
    return message


def prune(now: datetime | None = None) -> int:
    """Delete finished messages (sent, failed, cancelled) older than ``MAIL_KEEP_DAYS``: the
    outbox holds addresses, and a record of old mail helps nobody. Job ``mail.prune``."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import delete

    cutoff = (now or utcnow()) - timedelta(days=current_app.config["MAIL_KEEP_DAYS"])
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(("sent", "failed", "cancelled")), OutboxMessage.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return dict(rows.all())


# --- invitations as the user list shows them --------------------------------------------------


@dataclass(frozen=True)
class InvitationState:
    state: str  # "active" | "not_invited" | "invited" | "sent" | "failed"
    at: datetime | None = None
    error: str | None = None


def invitation_states(users) -> dict[int, InvitationState]:
    """For each user: active (password set), or the state of their latest invitation. One query."""
    ids = [user.id for user in users if not user.password_hash]
    latest: dict[int, OutboxMessage] = {}
    if ids:
        for message in db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "invitation", OutboxMessage.user_id.in_(ids))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ):
            latest[message.user_id] = message
    states = {}
    for user in users:
        if user.password_hash:
            states[user.id] = InvitationState("active")
            continue
        message = latest.get(user.id)
        if message is None:
            states[user.id] = InvitationState("not_invited")
        elif message.status == "sent":
            states[user.id] = InvitationState("sent", message.sent_at)
        elif message.status in ("failed", "cancelled"):
            states[user.id] = InvitationState("failed", message.created_at, message.last_error)
        else:
            states[user.id] = InvitationState("invited", message.created_at, message.last_error)
    return states
