"""A stateful property test: two trainers edit the same rosters (one of them often from a stale
page), an admin issues and revokes certificates, anyone verifies. Whatever the order:

- a revoked certificate is never shown as valid;
- roster versions only grow, and the stored attendance is exactly what the accepted saves said
  (no lost write, no silent overwrite);
- every successful change has exactly one audit event (one per changed attendance row, one per
  issued and per revoked certificate), and refused or conflicting saves have none.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule
from sqlalchemy import func, select

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.conftest import do_login
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.certificates import services as certificates
from wirlearn.certificates.models import Certificate
from wirlearn.core.timeutil import local_today
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Session

STATUSES = ("present", "late", "excused", "absent")


@pytest.fixture
def world(app, factory, trainer, other_trainer, admin):
    """One series trained by both trainers, three participants; no minimum attendance, so whoever
    passed the modules can get a certificate whatever the trainers record."""
    people = [factory.user("coordinator", email=f"p{n}@example.org", region="Kassel") for n in range(3)]
    series = factory.series(trainers=(trainer, other_trainer), coordinators=tuple(people), min_attendance_percent=0)
    with app.app_context():
        enrollments = {
            person.id: db.session.scalar(
                select(Enrollment.id).where(Enrollment.series_id == series.id, Enrollment.user_id == person.id)
            )
            for person in people
        }
    return {"series": series, "people": people, "enrollments": enrollments, "trainers": (trainer, other_trainer)}


def test_two_trainers_issuing_revoking_verifying_keep_the_invariants(app, world, admin):
    seen = {"issued": 0, "revoked": 0}

    class Programme(RuleBasedStateMachine):
        certificates = Bundle("certificates")

        @initialize()
        def setup(self):
            self.clients = []
            for trainer in world["trainers"]:
                client = app.test_client()
                assert do_login(client, trainer).status_code == 302
                self.clients.append(client)
            self.pages: dict[tuple[int, int], tuple[int, str]] = {}  # (trainer, session) -> (version, key)
            # The database outlives one example: start from what it holds.
            self.versions, self.mirror, self.expected_attendance_events, self.expected_certificate_events = read_state()
            with app.app_context():
                self.revoked = set(db.session.scalars(select(Certificate.code).where(Certificate.status == "revoked")))

        def _load(self, trainer: int, session_id: int) -> None:
            page = self.clients[trainer].get(f"/termine/{session_id}/anwesenheit").get_data(as_text=True)
            version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
            key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
            self.pages[(trainer, session_id)] = (version, key)

        @rule(trainer=st.sampled_from([0, 1]), session=st.integers(0, 3))
        def load_roster(self, trainer, session):
            self._load(trainer, world["series"].session_ids[session])

        @rule(
            trainer=st.sampled_from([0, 1]),
            session=st.integers(0, 3),
            statuses=st.lists(st.sampled_from(STATUSES), min_size=3, max_size=3),
        )
        def save_roster(self, trainer, session, statuses):
            session_id = world["series"].session_ids[session]
            if (trainer, session_id) not in self.pages:
                self._load(trainer, session_id)
            version, key = self.pages.pop((trainer, session_id))
            form = {"version": str(version), "submission_key": key, "action": "save"}
            for person, status in zip(world["people"], statuses, strict=True):
                form[f"status-{person.id}"] = status
                form[f"note-{person.id}"] = ""
                form[f"orig-status-{person.id}"] = ""
                form[f"orig-note-{person.id}"] = ""
            changed = [
                (person.id, status)
                for person, status in zip(world["people"], statuses, strict=True)
                if self.mirror.get((session_id, person.id)) != status
            ]
            # A page loaded before someone else's save may still save when it changes nothing.
            stale = changed and version != self.versions[session_id]
            response = self.clients[trainer].post(f"/termine/{session_id}/anwesenheit", data=form)
            assert response.status_code == (409 if stale else 302), (response.status_code, version, self.versions[session_id])
            if not stale:
                if changed:
                    self.versions[session_id] += 1
                for user_id, status in changed:
                    self.mirror[(session_id, user_id)] = status
                    self.expected_attendance_events += 1

        @rule(target=certificates, person=st.integers(0, 2))
        def issue(self, person):
            user_id = world["people"][person].id
            enrollment_id = world["enrollments"][user_id]
            with app.app_context():
                existing = certificates.valid_certificate_for(enrollment_id)
                if existing is not None:
                    return existing.code
                # Sessions nobody recorded yet count as attended, every module as passed (direct
                # rows: not changes through the app, so without audit events).
                recorded = set(db.session.scalars(select(Attendance.session_id).where(Attendance.enrollment_id == enrollment_id)))
                for session_id in world["series"].session_ids:
                    if session_id not in recorded:
                        db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment_id, status="present"))
                        self.mirror[(session_id, user_id)] = "present"
                assessed = set(db.session.scalars(select(Assessment.module_id).where(Assessment.enrollment_id == enrollment_id)))
                for module_id in world["series"].module_ids:
                    if module_id not in assessed:
                        module = db.session.get(Module, module_id)
                        db.session.add(
                            Assessment(
                                module_id=module_id,
                                enrollment_id=enrollment_id,
                                result="passed",
                                points=module.max_points if module.assessment_kind == "points" else None,
                                assessed_on=local_today(),
                            )
                        )
                db.session.commit()
                try:
                    issued = certificates.issue_certificate(enrollment_id, issued_by_id=admin.id)
                    db.session.commit()
                except certificates.CertificateError:
                    db.session.rollback()  # not eligible: nothing issued
                    return multiple()
            self.expected_certificate_events += 1
            seen["issued"] += 1
            return issued.code

        @rule(code=certificates)
        def revoke(self, code):
            with app.app_context():
                try:
                    certificates.revoke_certificate(code, "Test", revoked_by_id=admin.id)
                    db.session.commit()
                except certificates.CertificateError:
                    db.session.rollback()
                    assert code in self.revoked
                    return
            assert code not in self.revoked
            self.revoked.add(code)
            self.expected_certificate_events += 1
            seen["revoked"] += 1

        @rule(code=certificates)
        def verify(self, code):
            response = app.test_client().get(f"/api/v1/verify/{code}")
            assert response.status_code == 200
            status = response.get_json()["status"]
            if code in self.revoked:
                assert status == "revoked"
            else:
                assert status == "valid"
            assert response.get_json()["signature"]["valid"] is True

        @invariant()
        def revoked_is_never_valid(self):
            for code in getattr(self, "revoked", ()):
                answer = app.test_client().get(f"/api/v1/verify/{code}").get_json()
                assert answer["status"] == "revoked", code
                assert "widerrufen" in app.test_client().get(f"/v/{code}").get_data(as_text=True)

        @invariant()
        def stored_state_matches(self):
            if not hasattr(self, "mirror"):
                return
            with app.app_context():
                versions = dict(
                    db.session.execute(
                        select(Session.id, Session.attendance_version).where(Session.id.in_(world["series"].session_ids))
                    ).all()
                )
                stored = {
                    (session_id, user_id): status
                    for session_id, user_id, status in db.session.execute(
                        select(Attendance.session_id, Enrollment.user_id, Attendance.status).join(
                            Enrollment, Enrollment.id == Attendance.enrollment_id
                        )
                    )
                }
                attendance_events = db.session.scalar(
                    select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "attendance")
                )
                certificate_events = db.session.scalar(
                    select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "certificate")
                )
            # Versions grow by one with each accepted save that changed something, never otherwise.
            assert versions == self.versions
            assert stored == self.mirror
            assert attendance_events == self.expected_attendance_events
            assert certificate_events == self.expected_certificate_events

    def read_state():
        with app.app_context():
            versions = dict(
                db.session.execute(
                    select(Session.id, Session.attendance_version).where(Session.id.in_(world["series"].session_ids))
                ).all()
            )
            mirror = {
                (session_id, user_id): status
                for session_id, user_id, status in db.session.execute(
                    select(Attendance.session_id, Enrollment.user_id, Attendance.status).join(
                        Enrollment, Enrollment.id == Attendance.enrollment_id
                    )
                )
            }
            counts = [
                db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == kind))
                for kind in ("attendance", "certificate")
            ]
        return versions, mirror, counts[0], counts[1]

    Programme.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    # One database for all examples: each example starts from what the previous left, which the
    # machine reads back in setup (versions and statuses are taken from the database).
    Programme.TestCase().runTest()
    # The run must have exercised what it checks.
    assert seen["issued"] and seen["revoked"], seen
