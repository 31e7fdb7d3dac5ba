"""Append-only record of every change; UPDATE and DELETE are refused by database triggers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.core.dbtypes import JSONType
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Dotted verb, e.g. "attendance.changed", "certificate.revoked", "auth.login_failed".
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    # Context for filtering: the participant concerned and where it happened.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # No foreign keys here: history outlives a deleted session or module.
    series_id: Mapped[int | None] = mapped_column(index=True)
    module_id: Mapped[int | None]
    session_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_session_id", "session_id"),
        Index("ix_audit_events_module_id", "module_id"),
    )
