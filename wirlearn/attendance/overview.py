"""What the trainer start page shows, loaded in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.services import sessions_recorded_counts
from wirlearn.auth.models import User
from wirlearn.core.collation import sort_key
from wirlearn.core.timeutil import local_now
from wirlearn.extensions import db
from wirlearn.programme.access import visible_series
from wirlearn.programme.models import Enrollment, Module, Series, Session, session_trainers

UPCOMING_AFTER_TODAY = 3


@dataclass
class SessionItem:
    id: int
    module_id: int
    module_title: str
    module_position: int
    series_id: int
    series_title: str
    date: date
    start_time: time
    end_time: time
    place: str
    trainers: list[str]
    mine: bool
    recorded: int
    expected: int
    roster_saved: bool = False

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.recorded >= self.expected


@dataclass
class ModuleItem:
    id: int
    title: str
    position: int
    assessment_kind: str
    assessed: int
    expected: int
    sessions: list[SessionItem] = field(default_factory=list)


@dataclass
class SeriesItem:
    id: int
    title: str
    provider: str
    expected: int
    modules: list[ModuleItem]


@dataclass
class Overview:
    today: date
    upcoming: list[SessionItem]
    series: list[SeriesItem]
    # Sessions that have ended without a saved roster ("Anwesenheit fehlt"), oldest first.
    missing: list[SessionItem] = field(default_factory=list)


def load_overview(user: User, series_id: int | None = None, today: date | None = None, now: datetime | None = None) -> Overview:
    """The series ``user`` works on (admins: all) with their modules and sessions, how many
    participants are recorded, today's and the next sessions first (the user's own when they
    train), and the sessions that ended without a saved roster."""
    now = now or local_now()
    today = today or now.date()
    series_list: list[Series] = visible_series(user)
    if series_id is not None:
        series_list = [series for series in series_list if series.id == series_id]
    ids = [series.id for series in series_list]
    if not ids:
        return Overview(today, [], [])
    expected = dict(
        db.session.execute(
            select(Enrollment.series_id, func.count())
            .where(Enrollment.series_id.in_(ids), Enrollment.status != "withdrawn")
            .group_by(Enrollment.series_id)
        ).all()
    )
    modules = db.session.scalars(select(Module).where(Module.series_id.in_(ids)).order_by(Module.position, Module.id)).all()
    module_ids = [module.id for module in modules]
    sessions = db.session.scalars(
        select(Session).where(Session.module_id.in_(module_ids)).order_by(Session.date, Session.start_time, Session.id)
    ).all()
    trainer_names: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for session_id, user_id, name in db.session.execute(
        select(session_trainers.c.session_id, User.id, User.display_name)
        .join(User, User.id == session_trainers.c.user_id)
        .where(session_trainers.c.session_id.in_([session.id for session in sessions]))
    ):
        trainer_names[session_id].append((user_id, name))
    for names in trainer_names.values():
        names.sort(key=lambda item: sort_key(item[1]))
    recorded = sessions_recorded_counts(session.id for session in sessions)
    assessed = dict(
        db.session.execute(
            select(Assessment.module_id, func.count(func.distinct(Assessment.enrollment_id)))
            .join(Enrollment, Assessment.enrollment_id == Enrollment.id)
            .where(Assessment.module_id.in_(module_ids), Enrollment.status != "withdrawn")
            .group_by(Assessment.module_id)
        ).all()
    )

    titles = {series.id: series.title for series in series_list}
    module_items: dict[int, ModuleItem] = {}
    by_series: dict[int, list[ModuleItem]] = defaultdict(list)
    for module in modules:
        item = ModuleItem(
            module.id,
            module.title,
            module.position,
            module.assessment_kind,
            assessed.get(module.id, 0),
            expected.get(module.series_id, 0),
        )
        module_items[module.id] = item
        by_series[module.series_id].append(item)
    series_of_module = {module.id: module.series_id for module in modules}
    all_sessions = []
    for session in sessions:
        module = module_items[session.module_id]
        owner = series_of_module[session.module_id]
        item = SessionItem(
            id=session.id,
            module_id=module.id,
            module_title=module.title,
            module_position=module.position,
            series_id=owner,
            series_title=titles[owner],
            date=session.date,
            start_time=session.start_time,
            end_time=session.end_time,
            place=session.place,
            trainers=[name for _id, name in trainer_names[session.id]],
            mine=any(trainer_id == user.id for trainer_id, _name in trainer_names[session.id]),
            recorded=recorded.get(session.id, 0),
            expected=expected.get(owner, 0),
            roster_saved=session.attendance_version > 0,
        )
        module.sessions.append(item)
        all_sessions.append(item)

    trains = user.has_role("trainer")
    coming = [item for item in all_sessions if item.date >= today and (item.mine or not trains)]
    todays = [item for item in coming if item.date == today]
    later = [item for item in coming if item.date > today][:UPCOMING_AFTER_TODAY]
    missing = [
        item
        for item in all_sessions
        if not item.roster_saved
        and item.expected > 0
        and datetime.combine(item.date, item.end_time) <= now
        and (item.mine or not trains)
    ]
    return Overview(
        today=today,
        upcoming=todays + later,
        series=[
            SeriesItem(series.id, series.title, series.provider, expected.get(series.id, 0), by_series[series.id])
            for series in series_list
        ],
        missing=missing,
    )
