"""Synthetic programmes of any size, written fast with bulk inserts (SQLAlchemy Core).

``generate_programme(participants)`` adds one series with 8 modules and 24 sessions, its
trainers and an admin, ``participants`` coordinators spread over Hessen's regions and enrolled,
attendance for every held session and assessments for every module whose sessions are all held,
plus the audit events the app would have written for them. The data follows the shape of a real
year (most people attend and pass; some are late, excused or absent; a few fail and are
re-assessed, a few withdraw) and is the same for the same ``seed``.

Runs inside an app context on ``db.session``'s connection; flushes, never commits (the caller
does), so tests can use it like any other service::

    with app.app_context():
        programme = generate_programme(1000, password_hash=hash_password("…"))
        db.session.commit()

``finished=True`` puts every session in the past, so every module is assessed and most
participants are eligible for a certificate (what issuing needs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Table, insert, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User, UserRole
from wirlearn.core.timeutil import local_today, utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session, session_trainers
from wirlearn.programme.services import seed_regions

CHUNK = 5000  # rows per INSERT batch; keeps memory flat for 10,000 participants

FIRST_NAMES = (
    "Ayşe", "Đorđe", "Nguyễn Thị", "Katharina", "Mehmet", "Fatima", "Jürgen", "Agnieszka", "Samira", "Tobias",
    "Elif", "Ioannis", "Leyla", "Sabine", "Dragana", "Hamid", "Marta", "Stefanie", "Tesfay", "Olga", "Giuseppe",
    "Hatice", "Anna-Lena", "Yusuf", "Zeynep", "Thomas", "Amira", "Milena", "Rüdiger", "Soraya", "Kemal", "Franziska",
    "Jonas", "Lena", "Mustafa", "Ewa", "Dimitrios", "Aylin", "Bernd", "Chiara",
)  # fmt: skip
LAST_NAMES = (
    "Yılmaz", "Petrović", "Hương", "Schäfer", "Öztürk", "Al-Hassan", "Weiß", "Wiśniewska", "Haddad", "Becker",
    "Demir-Krause", "Papadopoulos", "Rahimi", "Groß", "Jovanović", "Karimi", "Kowalczyk", "Müller-Lüdenscheidt",
    "Gebremedhin", "Schmidt", "Russo", "Çelik", "Hoffmann", "Abdi", "Aydın", "Krämer", "Ben Salah", "Novak",
    "Faßbender", "Nouri", "Şahin", "von Bülow-Aßmann", "Meyer", "Wagner", "Kaya", "Nowak",
)  # fmt: skip
MODULE_TITLES = (
    "Grundlagen der Willkommens- und Anerkennungskultur",
    "Interkulturelle Kompetenz in der Verwaltung",
    "Rechtliche Rahmenbedingungen der Migration",
    "Change-Management in Organisationen",
    "Netzwerkarbeit und Beteiligung",
    "Antidiskriminierung und Diversität",
    "Projektmanagement kommunaler Integrationsarbeit",
    "Abschlusswerkstatt und Praxisprojekt",
)
NOTES = ("Zug ausgefallen", "Krankmeldung liegt vor", "Dienstlicher Termin", "Verspätung wegen Stau", "")
FEEDBACK = ("Sehr gute Mitarbeit.", "Praxisbezug gut herausgearbeitet.", "Solide Leistung.", "Bitte Fallanalyse vertiefen.")


@dataclass(frozen=True)
class GeneratedProgramme:
    """Ids and logins of what ``generate_programme`` wrote."""

    series_id: int
    module_ids: list[int]
    session_ids: list[int]  # date order
    held_session_ids: list[int]
    admin_id: int
    admin_email: str
    trainer_ids: list[int]
    trainer_emails: list[str]
    coordinator_ids: list[int]  # enrollment order
    coordinator_emails: list[str]
    enrollment_ids: list[int]
    withdrawn_enrollment_ids: list[int]
    participants: int
    today: date

    def sessions_of_trainer(self, index: int = 0) -> list[int]:
        """Sessions the ``index``-th trainer runs (every session has trainer ``position % 4``)."""
        return [session_id for position, session_id in enumerate(self.session_ids) if position % len(self.trainer_ids) == index]


def _chunks(rows: Iterator[dict] | Sequence[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_returning_ids(connection, table: Table, rows: list[dict], key: str | None = None) -> list[int]:
    """Insert ``rows`` and return their primary keys in the order given.

    With ``key`` (a column unique among ``rows``) the ids come back with that column and are put
    in order here: SQLAlchemy then sends one batched INSERT … RETURNING even on SQLite, which
    it otherwise sends row by row to keep the order."""
    ids: list[int] = []
    for batch in _chunks(rows):
        if key is None:
            result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), batch)
            ids.extend(result.scalars().all())
        else:
            found = {value: id_ for id_, value in connection.execute(insert(table).returning(table.c.id, table.c[key]), batch)}
            ids.extend(found[row[key]] for row in batch)
    return ids


def _insert(connection, table: Table, rows: Iterator[dict]) -> int:
    count = 0
    for batch in _chunks(rows):
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def generate_programme(
    participants: int = 33,
    *,
    password_hash: str,
    modules: int = 8,
    sessions: int = 24,
    seed: int = 2026,
    today: date | None = None,
    finished: bool = False,
    all_eligible: bool = False,
    audit: bool = True,
    title: str | None = None,
) -> GeneratedProgramme:
    """Add one synthetic series with ``participants`` enrolled coordinators; see the module doc.

    Sessions are spread evenly over the modules, one a week. A running series (default) has two
    thirds of its sessions held; a ``finished`` one has all of them held and every module assessed.
    ``all_eligible`` (with ``finished``) leaves out withdrawals, too many absences and failed
    modules, so every participant can get a certificate. Every user gets ``password_hash``.
    """
    if sessions < modules:
        raise ValueError("need at least one session per module")
    rng = random.Random(seed)
    today = today or local_today()
    now = utcnow()
    connection = db.session.connection()
    seed_regions()
    region_ids = list(db.session.scalars(select(Region.id).order_by(Region.id)))

    held_count = sessions if finished else (2 * sessions) // 3
    first_day = today - timedelta(weeks=held_count)
    series_id = _insert_returning_ids(
        connection,
        Series.__table__,
        [
            {
                "title": title or f"Synthetische Reihe ({participants} Teilnehmende, Saat {seed})",
                "provider": "imap-Institut",
                "certificate_title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
                "issuer_name": "Hessisches Ministerium für Soziales und Integration",
                "description": "Synthetische Daten für Lasttests.",
                "place": "Wiesbaden",
                "start_date": _workday(first_day),
                "end_date": first_day + timedelta(weeks=sessions),
                "min_attendance_percent": 80,
                "excused_counts": False,
                "late_counts": True,
                "auto_issue": False,
                "created_at": now,
            }
        ],
    )[0]
    tag = f"s{series_id}"

    # People: one admin, four trainers, the coordinators.
    people = [("admin", f"admin.{tag}@bench.example", "Claudia Brenner", None)]
    people += [("trainer", f"trainer{index}.{tag}@bench.example", f"Trainer/in {index}", None) for index in range(1, 5)]
    for index in range(participants):
        name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[(index * 7 + index // 40) % len(LAST_NAMES)]}"
        people.append(("coordinator", f"p{index}.{tag}@bench.example", name, region_ids[index % len(region_ids)]))
    user_ids = _insert_returning_ids(
        connection,
        User.__table__,
        [
            {
                "email": email,
                "display_name": name,
                "password_hash": password_hash,
                "active": True,
                "region_id": region_id,
                "subject_uuid": f"{series_id:08x}-0000-4000-8000-{position:012x}",
                "session_nonce": f"{tag}-{position}",
                "totp_enabled": False,
                "created_at": now,
            }
            for position, (_role, email, name, region_id) in enumerate(people)
        ],
        key="email",
    )
    _insert(
        connection,
        UserRole.__table__,
        ({"user_id": user_id, "role": role} for user_id, (role, *_rest) in zip(user_ids, people, strict=True)),
    )
    admin_id, trainer_ids, coordinator_ids = user_ids[0], user_ids[1:5], user_ids[5:]

    # Modules and their sessions, one session a week.
    per_module = [sessions // modules + (1 if index < sessions % modules else 0) for index in range(modules)]
    module_ids = _insert_returning_ids(
        connection,
        Module.__table__,
        [
            {
                "series_id": series_id,
                "position": position,
                "title": MODULE_TITLES[(position - 1) % len(MODULE_TITLES)]
                + ("" if position <= len(MODULE_TITLES) else f" {position}"),
                "description": "",
                "teaching_units": 8 * count,
                "required": position <= max(1, modules - 2),
                "assessment_kind": "points" if position % 3 == 0 else "pass_fail",
                "max_points": 100 if position % 3 == 0 else None,
                "pass_mark": 60 if position % 3 == 0 else None,
                "assessment_version": 0,
            }
            for position, count in enumerate(per_module, start=1)
        ],
    )
    session_rows, session_module = [], []
    for module_index, (module_id, count) in enumerate(zip(module_ids, per_module, strict=True)):
        for _ in range(count):
            week = len(session_rows)
            held = week < held_count
            session_rows.append(
                {
                    "module_id": module_id,
                    "date": _workday(first_day + timedelta(weeks=week)) if held else first_day + timedelta(weeks=week + 1),
                    "start_time": time(9, 30),
                    "end_time": time(16, 30),
                    "place": "Wiesbaden, Haus der Integration",
                    "attendance_version": 1 if held else 0,
                    "attendance_updated_at": now if held else None,
                    "attendance_updated_by_id": trainer_ids[week % len(trainer_ids)] if held else None,
                }
            )
            session_module.append(module_index)
    session_ids = _insert_returning_ids(connection, Session.__table__, session_rows)
    _insert(
        connection,
        session_trainers,
        (
            {"session_id": session_id, "user_id": trainer_ids[week % len(trainer_ids)]}
            for week, session_id in enumerate(session_ids)
        ),
    )
    held_weeks = list(range(held_count))

    # Enrollments: about 3 % withdraw, after a third of the held sessions.
    withdrawn = set() if all_eligible else set(rng.sample(range(participants), k=participants * 3 // 100))
    enrollment_ids = _insert_returning_ids(
        connection,
        Enrollment.__table__,
        [
            {
                "series_id": series_id,
                "user_id": user_id,
                "status": "withdrawn" if index in withdrawn else "active",
                "enrolled_at": datetime.combine(first_day - timedelta(days=14), time(10, 0)),
                "withdrawn_at": now if index in withdrawn else None,
            }
            for index, user_id in enumerate(coordinator_ids)
        ],
        key="user_id",
    )

    # Profiles: most attend reliably; about 8 % miss too much; about 3 % fail a module once.
    weak = set() if all_eligible else {index for index in range(participants) if rng.random() < 0.08}
    attendance_rows: list[dict] = []
    audit_rows: list[dict] = []
    for index, enrollment_id in enumerate(enrollment_ids):
        last_week = held_count // 3 if index in withdrawn else held_count
        absent_rate = 0.3 if index in weak else 0.04
        missed = 0
        for week in held_weeks[:last_week]:
            draw = rng.random()
            if draw < absent_rate and not (all_eligible and missed >= 2):
                status = "absent" if rng.random() < 0.5 else "excused"
                missed += 1
            elif draw < absent_rate + 0.06:
                status = "late"
            else:
                status = "present"
            note = rng.choice(NOTES) if status in ("late", "excused") else ""
            attendance_rows.append(
                {
                    "session_id": session_ids[week],
                    "enrollment_id": enrollment_id,
                    "status": status,
                    "note": note,
                    "roster_version": 1,
                    "updated_at": now,
                    "updated_by_id": trainer_ids[week % len(trainer_ids)],
                }
            )
            if audit:
                audit_rows.append(
                    {
                        "occurred_at": now,
                        "actor_id": trainer_ids[week % len(trainer_ids)],
                        "action": "attendance.recorded",
                        "entity_type": "attendance",
                        "entity_id": f"{session_ids[week]}:{enrollment_id}",
                        "subject_user_id": coordinator_ids[index],
                        "series_id": series_id,
                        "module_id": module_ids[session_module[week]],
                        "session_id": session_ids[week],
                        "before": None,
                        "after": {"status": status},
                    }
                )
        if len(attendance_rows) >= CHUNK:
            _insert(connection, Attendance.__table__, attendance_rows)
            attendance_rows = []
        if len(audit_rows) >= CHUNK:
            _insert(connection, AuditEvent.__table__, audit_rows)
            audit_rows = []
    _insert(connection, Attendance.__table__, attendance_rows)

    # Assessments for every module whose sessions are all held.
    assessed_modules = [
        module_index
        for module_index in range(modules)
        if all(week < held_count for week, owner in enumerate(session_module) if owner == module_index)
    ]
    assessment_rows: list[dict] = []
    for module_index in assessed_modules:
        module_id = module_ids[module_index]
        points_module = (module_index + 1) % 3 == 0
        last_week = max(week for week, owner in enumerate(session_module) if owner == module_index)
        assessed_on = _workday(first_day + timedelta(weeks=last_week))
        for index, enrollment_id in enumerate(enrollment_ids):
            if index in withdrawn and module_index > 0:
                continue
            draw = 0.5 if all_eligible else rng.random()
            if draw < 0.02:
                continue  # not assessed yet
            outcomes = ["failed", "passed"] if draw < 0.05 else ["passed"]
            if draw < 0.03:
                outcomes = ["failed"]  # failed, re-assessment still to come
            for attempt, result in enumerate(outcomes, start=1):
                points = None
                if points_module:
                    points = Decimal(rng.randint(60, 98) if result == "passed" else rng.randint(25, 59))
                assessment_rows.append(
                    {
                        "module_id": module_id,
                        "enrollment_id": enrollment_id,
                        "attempt": attempt,
                        "result": result,
                        "points": points,
                        "feedback": rng.choice(FEEDBACK),
                        "assessed_on": assessed_on + timedelta(days=14 * (attempt - 1)),
                        "recorded_at": now,
                        "recorded_by_id": trainer_ids[module_index % len(trainer_ids)],
                    }
                )
                if audit:
                    audit_rows.append(
                        {
                            "occurred_at": now,
                            "actor_id": trainer_ids[module_index % len(trainer_ids)],
                            "action": "assessment.recorded",
                            "entity_type": "assessment",
                            "entity_id": f"{module_id}:{enrollment_id}:{attempt}",
                            "subject_user_id": coordinator_ids[index],
                            "series_id": series_id,
                            "module_id": module_id,
                            "session_id": None,
                            "before": None,
                            "after": {"result": result, "points": None if points is None else str(points)},
                        }
                    )
            if len(assessment_rows) >= CHUNK:
                _insert(connection, Assessment.__table__, assessment_rows)
                assessment_rows = []
    _insert(connection, Assessment.__table__, assessment_rows)
    _insert(connection, AuditEvent.__table__, audit_rows)
    if assessed_modules:
        connection.execute(
            Module.__table__.update()
            .where(Module.__table__.c.id.in_([module_ids[index] for index in assessed_modules]))
            .values(assessment_version=1)
        )

    emails = [email for _role, email, _name, _region in people]
    return GeneratedProgramme(
        series_id=series_id,
        module_ids=module_ids,
        session_ids=session_ids,
        held_session_ids=session_ids[:held_count],
        admin_id=admin_id,
        admin_email=emails[0],
        trainer_ids=trainer_ids,
        trainer_emails=emails[1:5],
        coordinator_ids=coordinator_ids,
        coordinator_emails=emails[5:],
        enrollment_ids=enrollment_ids,
        withdrawn_enrollment_ids=[enrollment_ids[index] for index in sorted(withdrawn)],
        participants=participants,
        today=today,
    )
