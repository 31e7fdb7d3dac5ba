"""The outbox, each person's mail settings, and the last attendance forecast each warning was about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.core.dbtypes import JSONType, enum_check
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

OUTBOX_STATUSES = ("queued", "retrying", "sent", "failed", "cancelled")


class OutboxMessage(db.Model):
    """One e-mail to one recipient, written in the transaction of the change that causes it.

    The row holds what the message is about (``kind``, ``ref_id``, ``payload``), never its text:
    the worker renders it when sending, in the recipient's language, and puts secrets (password
    links) into it only then, so no secret is ever stored here. ``dedup_key`` names the logical
    message (``reminder:{session}:{user}:{starts_at}``): the same message is never queued twice.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    ref_id: Mapped[int | None]
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # After this moment a failing message is given up ("failed"); "erneut senden" moves it on.
    give_up_at: Mapped[datetime | None]
    # A worker that took the message holds it until then; past it, another worker may take it.
    locked_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    # Filled when rendered, for the Postausgang (subjects carry no secrets).
    subject: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(enum_check("status", OUTBOX_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_kind_ref", "kind", "ref_id"),
    )


class MailPreference(db.Model):
    """Which optional mails a person wants, and the secret of their personal calendar feed.
    Without a row, every optional mail is on and there is no feed."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    reminders: Mapped[bool] = mapped_column(default=True)
    warnings: Mapped[bool] = mapped_column(default=True)
    digests: Mapped[bool] = mapped_column(default=True)
    # SHA-256 of the feed token; the token itself is shown once, when it is made.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    calendar_token_created_at: Mapped[datetime | None]


class ForecastState(db.Model):
    """The attendance forecast of an enrollment when it was last looked at, so a warning goes
    out once per change of state, never once per saved roster."""

    __tablename__ = "attendance_forecasts"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
