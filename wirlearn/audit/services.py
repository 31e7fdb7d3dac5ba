"""Writing audit events: one call per change, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db

# Keys that must never reach the audit trail, whatever a caller passes.
SECRET_KEYS = frozenset({"password", "password_hash", "token", "totp_secret", "code_hash", "credential", "secret"})


def _scrub(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {key: ("[entfernt]" if key in SECRET_KEYS else value) for key, value in data.items()}


def current_actor_id() -> int | None:
    if not has_request_context():
        return None
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.id
    if current_user and current_user.is_authenticated:
        return current_user.id
    return None


def record(
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
    subject_user_id: int | None = None,
    series_id: int | None = None,
    module_id: int | None = None,
    session_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (flushed with it, never committed here)."""
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        actor_id=actor_id if actor_id is not None else current_actor_id(),
        subject_user_id=subject_user_id,
        series_id=series_id,
        module_id=module_id,
        session_id=session_id,
        before=_scrub(before),
        after=_scrub(after),
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_refused_access(user, endpoint: str) -> None:
    """A refused access is worth keeping even though the request itself changes nothing."""
    db.session.rollback()
    record(
        "access.refused",
        "route",
        endpoint,
        actor_id=user.id if user is not None else None,
        after={"method": request.method, "path": request.path},
    )
    db.session.commit()
