"""Saving a roster or an assessment list costs the same number of SQL statements whether it
changes 2 rows or 25 (rows are flushed together, not one by one). Uses the benchmarks'
synthetic programme generator.

On SQLite, SQLAlchemy sends an ORM INSERT that must return its new ids once per row (SQLite
does not promise the order of RETURNING rows); on PostgreSQL it is one batched statement. So
identical statements in a row count once: a per-row SELECT or UPDATE between them still counts.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.generator import generate_programme
from tests.querycount import count_queries
from wirlearn.assessments.services import AssessmentEntry, save_assessments
from wirlearn.attendance.models import Attendance
from wirlearn.attendance.services import Entry, save_roster
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Session


@pytest.fixture
def generated(ctx):
    programme = generate_programme(30, password_hash="x", all_eligible=True)
    db.session.commit()
    return programme


def active_users(programme, count: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Enrollment.user_id)
            .where(Enrollment.series_id == programme.series_id, Enrollment.status == "active")
            .order_by(Enrollment.id)
            .limit(count)
        )
    )


def batches(statements: list[str]) -> int:
    """Statements sent, a run of identical ones counted once (see the module docstring)."""
    return sum(1 for index, statement in enumerate(statements) if index == 0 or statement != statements[index - 1])


def roster_statements(programme, session_id: int, user_ids: list[int], status: str) -> int:
    version = db.session.scalar(select(Session.attendance_version).where(Session.id == session_id))
    with count_queries(db.engine) as counter:
        save_roster(session_id, version, {user_id: Entry(status) for user_id in user_ids}, actor_id=programme.trainer_ids[0])
        db.session.commit()
    return batches(counter.statements)


def test_roster_save_statements_do_not_grow_with_the_rows_changed(generated):
    held = generated.held_session_ids
    upcoming = generated.session_ids[len(held) :]
    # Changing existing rows (held sessions). The ORM sends one UPDATE per combination of
    # changed columns, so the rows start alike: same status, no note, same trainer.
    for session_id in held[:2]:
        roster_statements(generated, session_id, active_users(generated, 25), "late")
    few = roster_statements(generated, held[0], active_users(generated, 2), "present")
    many = roster_statements(generated, held[1], active_users(generated, 25), "present")
    assert few == many
    # ... and recording new ones.
    few_new = roster_statements(generated, upcoming[0], active_users(generated, 2), "excused")
    many_new = roster_statements(generated, upcoming[1], active_users(generated, 25), "excused")
    assert few_new == many_new
    # Every row written and audited, with its own id in the audit event.
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == upcoming[1])).all()
    assert len(rows) == 25 and {row.status for row in rows} == {"excused"}
    audited = set(
        db.session.scalars(
            select(AuditEvent.entity_id).where(AuditEvent.action == "attendance.recorded", AuditEvent.session_id == upcoming[1])
        )
    )
    assert audited == {str(row.id) for row in rows}


def test_assessment_save_statements_do_not_grow_with_the_people_assessed(generated):
    # Modules 7 and 8 are pass/fail and not assessed yet in a running programme.
    seventh, eighth = generated.module_ids[6], generated.module_ids[7]
    counts = []
    for module_id, size in ((seventh, 2), (eighth, 25)):
        entries = {user_id: AssessmentEntry("passed") for user_id in active_users(generated, size)}
        with count_queries(db.engine) as counter:
            result = save_assessments(module_id, entries, actor_id=generated.trainer_ids[0])
            db.session.commit()
        counts.append(batches(counter.statements))
        assert len(result.recorded) == size
        audited = set(
            db.session.scalars(
                select(AuditEvent.entity_id).where(AuditEvent.action == "assessment.recorded", AuditEvent.module_id == module_id)
            )
        )
        assert audited == {str(assessment.id) for assessment in result.recorded}
    assert counts[0] == counts[1]
