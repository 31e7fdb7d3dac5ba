"""``flask --app wirlearn seed-demo``: the WIR demo programme. Running it again changes nothing."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.auth.passwords import hash_password
from wirlearn.certificates.models import CertificateDesign
from wirlearn.core.timeutil import local_today, utcnow
from wirlearn.demo import data
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session
from wirlearn.programme.services import seed_regions

# Profiles of the 32 coordinators, by position in data.COORDINATOR_NAMES.
COMPLETE = set(range(0, 20)) | {23, 30, 31}
MISSING_MODULE = {20: (2, "failed"), 21: (4, "pending"), 22: (3, "failed"), 24: (4, "failed")}
REASSESSED = {23: 1}  # module index failed first, passed on re-assessment
UNDER_THRESHOLD = {25: 4, 26: 3, 27: 3, 28: 4}  # sessions missed
WITHDRAWN = {29}


@dataclass(frozen=True)
class SeedResult:
    created: bool
    logins: list[tuple[str, str]]  # (email, role)


def slug(text: str) -> str:
    text = text.replace("ß", "ss").replace("ı", "i").replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def coordinator_email(name: str, region: Region) -> str:
    parts = name.split()
    return f"{slug(parts[0])}.{slug(parts[-1])}@{slug(region.name)}.example"


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _user(email: str, name: str, roles: set[str], password_hash: str, region_id: int | None = None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=name, password_hash=password_hash, region_id=region_id)
        user.set_roles(roles)
        db.session.add(user)
    return user


def seed_demo(password: str = data.DEMO_PASSWORD, today: date | None = None) -> SeedResult:
    """Create the demo programme if it is not there; return the logins either way."""
    today = today or local_today()
    seed_regions()
    existing = db.session.scalar(select(Series).where(Series.title == data.SERIES["title"]))
    regions = [
        region
        for region in db.session.scalars(select(Region).order_by(Region.code.nulls_last(), Region.name))
        if region.name != data.UNCOVERED_REGION
    ]
    if existing is not None:
        return SeedResult(created=False, logins=_logins(regions))

    password_hash = hash_password(password)
    admin = _user(*data.ADMIN, {"admin"}, password_hash)
    trainers = [_user(email, name, {"trainer"}, password_hash) for email, name in data.TRAINERS]
    coordinators = [
        _user(coordinator_email(name, region), name, {"coordinator"}, password_hash, region.id)
        for name, region in zip(data.COORDINATOR_NAMES, regions, strict=True)
    ]
    db.session.flush()

    first_day = _workday(today + timedelta(days=data.MODULES[0][6][0]))
    last_day = today + timedelta(days=data.MODULES[-1][6][-1])
    series = Series(start_date=first_day, end_date=last_day, reminder_hour=17, **data.SERIES)
    db.session.add(series)
    db.session.flush()
    db.session.add(
        CertificateDesign(
            series_id=series.id,
            programme_line=data.CERTIFICATE_PROGRAMME_LINE,
            logo_ids=[],
            signature_mode="signatories",
            signatories=[person | {"signature_id": None} for person in data.CERTIFICATE_SIGNATORIES],
        )
    )

    modules: list[Module] = []
    sessions_by_module: list[list[Session]] = []
    for position, (title, units, required, kind, max_points, pass_mark, offsets, place) in enumerate(data.MODULES, start=1):
        module = Module(
            series_id=series.id,
            position=position,
            title=title,
            teaching_units=units,
            required=required,
            assessment_kind=kind,
            max_points=max_points,
            pass_mark=pass_mark,
        )
        db.session.add(module)
        db.session.flush()
        sessions = []
        for index, offset in enumerate(offsets):
            day = today + timedelta(days=offset) if offset >= 0 else _workday(today + timedelta(days=offset))
            session = Session(module_id=module.id, date=day, start_time=time(9, 30), end_time=time(16, 30), place=place)
            # Trainer 1 runs every session; trainer 2 co-trains the second day of each module.
            session.trainers = trainers if index == 1 else [trainers[0]]
            db.session.add(session)
            sessions.append(session)
        modules.append(module)
        sessions_by_module.append(sessions)
    db.session.flush()

    enrollments = []
    for index, user in enumerate(coordinators):
        enrollment = Enrollment(series_id=series.id, user_id=user.id, status="withdrawn" if index in WITHDRAWN else "active")
        if index in WITHDRAWN:
            enrollment.withdrawn_at = utcnow()
        db.session.add(enrollment)
        enrollments.append(enrollment)
    db.session.flush()

    _record_attendance(today, sessions_by_module, enrollments, trainers[0])
    _record_assessments(today, modules, sessions_by_module, enrollments, trainers[0])
    record("demo.seeded", "series", series.id, actor_id=admin.id, series_id=series.id, after={"coordinators": len(coordinators)})
    db.session.flush()
    return SeedResult(created=True, logins=_logins(regions))


def _held(session: Session, today: date) -> bool:
    return session.date < today


def _record_attendance(today, sessions_by_module, enrollments, trainer) -> None:
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security  # nosec B311
    held = [session for sessions in sessions_by_module for session in sessions if _held(session, today)]
    for index, enrollment in enumerate(enrollments):
        statuses = ["present"] * len(held)
        if index in UNDER_THRESHOLD:
            for position in rng.sample(range(len(held)), UNDER_THRESHOLD[index]):
                statuses[position] = rng.choice(["absent", "excused", "absent"])
        elif index in WITHDRAWN:
            statuses = ["present"] * 4 + ["absent"] * (len(held) - 4)
        else:
            # up to two sessions that do not count (excused/absent), some late arrivals that do
            for position in rng.sample(range(len(held)), rng.choice([0, 0, 1, 2])):
                statuses[position] = rng.choice(["excused", "absent", "excused"])
            for position in rng.sample(range(len(held)), rng.choice([0, 1, 1, 2])):
                if statuses[position] == "present":
                    statuses[position] = "late"
        for session, status in zip(held, statuses, strict=True):
            note = ""
            if status == "excused":
                note = rng.choice(data.NOTES_EXCUSED)
            elif status == "late":
                note = rng.choice(data.NOTES_LATE)
            db.session.add(
                Attendance(
                    session_id=session.id,
                    enrollment_id=enrollment.id,
                    status=status,
                    note=note,
                    roster_version=1,
                    updated_by_id=trainer.id,
                )
            )
    for session in held:
        session.attendance_version = 1
        session.attendance_updated_at = utcnow()
        session.attendance_updated_by_id = trainer.id


def _record_assessments(today, modules, sessions_by_module, enrollments, trainer) -> None:
    rng = random.Random(11)  # noqa: S311 - reproducible demo data, not security  # nosec B311
    for module_index, (module, sessions) in enumerate(zip(modules, sessions_by_module, strict=True)):
        if not sessions or not all(_held(session, today) for session in sessions):
            continue
        assessed_on = sessions[-1].date
        for index, enrollment in enumerate(enrollments):
            if index in WITHDRAWN and module_index > 0:
                continue
            outcome = "passed"
            missing = MISSING_MODULE.get(index)
            if missing and missing[0] == module_index:
                outcome = missing[1]
            if outcome == "pending":
                continue
            attempts = []
            if REASSESSED.get(index) == module_index:
                attempts.append("failed")
            attempts.append(outcome)
            for attempt, result in enumerate(attempts, start=1):
                points = None
                if module.assessment_kind == "points":
                    points = Decimal(rng.randint(62, 96) if result == "passed" else rng.randint(30, 55))
                feedback = rng.choice(data.FEEDBACK_PASSED if result == "passed" else data.FEEDBACK_FAILED)
                db.session.add(
                    Assessment(
                        module_id=module.id,
                        enrollment_id=enrollment.id,
                        attempt=attempt,
                        result=result,
                        points=points,
                        feedback=feedback,
                        assessed_on=assessed_on + timedelta(days=14 * (attempt - 1)),
                        recorded_by_id=trainer.id,
                    )
                )
            module.assessment_version = 1


def _logins(regions: list[Region]) -> list[tuple[str, str]]:
    logins = [(data.ADMIN[0], "admin")] + [(email, "trainer") for email, _name in data.TRAINERS]
    logins += [
        (coordinator_email(name, region), "coordinator") for name, region in zip(data.COORDINATOR_NAMES, regions, strict=True)
    ]
    return logins
