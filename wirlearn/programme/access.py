"""Who may see and work on which series: one place for the object-level rules of programmes."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series, Session, session_trainers


def trainer_series_ids(user_id: int) -> set[int]:
    """Series in which the user trains at least one session."""
    rows = db.session.scalars(
        select(Module.series_id)
        .join(Session, Session.module_id == Module.id)
        .join(session_trainers, session_trainers.c.session_id == Session.id)
        .where(session_trainers.c.user_id == user_id)
        .distinct()
    )
    return set(rows)


def can_work_on_series(user: User, series_id: int) -> bool:
    """Admins everywhere; trainers in the series they are assigned to."""
    if user.has_role("admin"):
        return True
    return user.has_role("trainer") and series_id in trainer_series_ids(user.id)


def require_series_work(user: User, series_id: int) -> None:
    if not can_work_on_series(user, series_id):
        abort(403)


def visible_series(user: User) -> list[Series]:
    """Series a staff member may work on, newest first."""
    query = select(Series).order_by(Series.start_date.desc().nulls_last(), Series.id.desc())
    if not user.has_role("admin"):
        ids = trainer_series_ids(user.id) if user.has_role("trainer") else set()
        query = query.where(Series.id.in_(ids))
    return list(db.session.scalars(query))


def enrollment_of(user_id: int, series_id: int) -> Enrollment | None:
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.series_id == series_id))
