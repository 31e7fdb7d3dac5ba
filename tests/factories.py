"""Factories for test data. Each call runs in its own app context and commits, and returns plain
references (ids and the values a test needs), so tests never share a session with requests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from wirlearn.auth.models import User
from wirlearn.auth.passwords import hash_password
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session
from wirlearn.programme.services import seed_regions

PASSWORD = "korrekt-pferd-batterie"
_counter = itertools.count(1)


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    display_name: str
    roles: frozenset[str]
    region_id: int | None
    password: str = PASSWORD


@dataclass(frozen=True)
class SeriesRef:
    id: int
    module_ids: list[int]
    session_ids: list[int]  # in date order over all modules
    sessions_by_module: dict[int, list[int]] = field(default_factory=dict)


class Factory:
    def __init__(self, app):
        self.app = app
        self._password_hash: dict[str, str] = {}

    def _hash(self, password: str) -> str:
        if password not in self._password_hash:
            self._password_hash[password] = hash_password(password)
        return self._password_hash[password]

    def region_id(self, name: str | None = None) -> int:
        with self.app.app_context():
            seed_regions()
            db.session.commit()
            query = select(Region.id).order_by(Region.id)
            if name:
                query = query.where(Region.name == name)
            return db.session.scalars(query).first()

    def user(
        self,
        *roles: str,
        email: str | None = None,
        name: str | None = None,
        region: str | None = None,
        password: str = PASSWORD,
        active: bool = True,
    ) -> UserRef:
        roles = roles or ("coordinator",)
        number = next(_counter)
        region_id = self.region_id(region) if ("coordinator" in roles or region) else None
        with self.app.app_context():
            user = User(
                email=email or f"person{number}@example.org",
                display_name=name or f"Person {number}",
                password_hash=self._hash(password) if password else None,
                region_id=region_id,
                active=active,
            )
            user.set_roles(set(roles))
            db.session.add(user)
            db.session.commit()
            return UserRef(user.id, user.email, user.display_name, frozenset(roles), region_id, password)

    def series(
        self,
        *,
        trainers: tuple[UserRef, ...] = (),
        coordinators: tuple[UserRef, ...] = (),
        modules: tuple[dict, ...] | None = None,
        days: tuple[tuple[int, ...], ...] | None = None,
        today: date | None = None,
        **series_values,
    ) -> SeriesRef:
        """A series; ``days`` are session offsets from today per module (negative: held)."""
        today = today or local_today()
        modules = modules or (
            {"title": "Grundlagen"},
            {"title": "Praxis", "assessment_kind": "points", "max_points": 100, "pass_mark": 60},
        )
        days = days or tuple((-20 - 10 * index, -19 - 10 * index) for index in range(len(modules)))
        values = {
            "title": f"Reihe {next(_counter)}",
            "provider": "Institut",
            "certificate_title": "Zertifikat",
            "issuer_name": "Ministerium",
            "place": "Wiesbaden",
            "start_date": today - timedelta(days=90),
            "end_date": today + timedelta(days=90),
            "reminder_hour": 17,
        } | series_values
        with self.app.app_context():
            trainer_users = [db.session.get(User, ref.id) for ref in trainers]
            series = Series(**values)
            db.session.add(series)
            db.session.flush()
            module_ids, session_ids, by_module = [], [], {}
            for position, (module_values, offsets) in enumerate(zip(modules, days, strict=True), start=1):
                module = Module(series_id=series.id, position=position, teaching_units=8, **module_values)
                db.session.add(module)
                db.session.flush()
                module_ids.append(module.id)
                by_module[module.id] = []
                for offset in offsets:
                    session = Session(
                        module_id=module.id,
                        date=today + timedelta(days=offset),
                        # Today's sessions have begun whatever the hour the tests run at:
                        # attendance is refused before a session starts.
                        start_time=time(0, 0) if offset == 0 else time(9, 0),
                        end_time=time(16, 0),
                        place="Raum 1",
                    )
                    session.trainers = list(trainer_users)
                    db.session.add(session)
                    db.session.flush()
                    by_module[module.id].append(session.id)
                    session_ids.append((session.date, session.id))
            # Enrolled when the series began (sessions before an enrolment count differently).
            enrolled_at = datetime.combine(values["start_date"] or today - timedelta(days=90), time(8, 0))
            for ref in coordinators:
                db.session.add(Enrollment(series_id=series.id, user_id=ref.id, status="active", enrolled_at=enrolled_at))
            db.session.commit()
            ordered = [session_id for _day, session_id in sorted(session_ids)]
            return SeriesRef(series.id, module_ids, ordered, by_module)

    def enroll(self, series_id: int, user: UserRef, status: str = "active") -> int:
        with self.app.app_context():
            enrollment = Enrollment(series_id=series_id, user_id=user.id, status=status)
            db.session.add(enrollment)
            db.session.commit()
            return enrollment.id


def tomorrow() -> date:
    return local_today() + timedelta(days=1)


def at(hour: int, minute: int = 0) -> time:
    return time(hour, minute)
