"""What a trainer's device keeps for working without a network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from wirlearn.auth.models import User
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.access import visible_series
from wirlearn.programme.models import Module, Session, session_trainers

DAYS_AHEAD = 14
DAYS_BACK = 7
# An admin without sessions of their own keeps at most this many rosters (the nearest first).
MAX_ROSTERS = 60


@dataclass(frozen=True)
class KeptSession:
    id: int
    date: date


def sessions_to_keep(user: User, today: date | None = None) -> list[KeptSession]:
    """The sessions whose rosters a device keeps: a trainer's own sessions from ``DAYS_BACK``
    days ago to ``DAYS_AHEAD`` days ahead; for an admin who trains none, the sessions of every
    series in that span (at most ``MAX_ROSTERS``). One or two queries."""
    today = today or local_today()
    span = (Session.date >= today - timedelta(days=DAYS_BACK), Session.date <= today + timedelta(days=DAYS_AHEAD))
    own = db.session.execute(
        select(Session.id, Session.date)
        .join(session_trainers, session_trainers.c.session_id == Session.id)
        .where(session_trainers.c.user_id == user.id, *span)
        .order_by(Session.date, Session.start_time, Session.id)
    ).all()
    if own or not user.has_role("admin"):
        return [KeptSession(*row) for row in own]
    series_ids = [series.id for series in visible_series(user)]
    rows = db.session.execute(
        select(Session.id, Session.date)
        .join(Module, Session.module_id == Module.id)
        .where(Module.series_id.in_(series_ids), *span)
        .order_by(Session.date, Session.start_time, Session.id)
    ).all()
    rows.sort(key=lambda row: abs((row.date - today).days))
    return sorted((KeptSession(*row) for row in rows[:MAX_ROSTERS]), key=lambda kept: kept.date)
