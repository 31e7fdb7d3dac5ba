"""Operations: ``backup``/``restore`` round trip comparing every table (SQLite online backup,
PostgreSQL pg_dump/pg_restore) and ``purge`` applying the retention of personal data."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, inspect, select, text

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.databases import is_postgresql
from tests.routes import snapshot
from wirlearn import create_app
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance, RosterSubmission
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import RecoveryCode, User
from wirlearn.core import changes
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment


def fill(app, programme, coordinator, trainer, other_coordinator) -> str:
    """Rows in every table the programme fixture leaves empty; the code of a valid certificate."""
    from tests.functional.test_access_matrix import sample_values
    from wirlearn.audit.services import record

    main = programme["main"]
    code = sample_values(app, programme, other_coordinator)["code"]
    with app.app_context():
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == coordinator.id))
        db.session.add(
            Attendance(
                session_id=main.session_ids[0], enrollment_id=enrollment.id, status="excused", note="krank (Attest liegt vor)"
            )
        )
        db.session.add(
            Assessment(
                module_id=main.module_ids[1],
                enrollment_id=enrollment.id,
                result="passed",
                points=Decimal("71.50"),
                feedback="Gute Präsentation",
                assessed_on=date.today(),
                recorded_by_id=trainer.id,
            )
        )
        db.session.add(RosterSubmission(key="k" * 32, session_id=main.session_ids[0], version=1))
        db.session.add(RecoveryCode(user_id=trainer.id, code_hash="f" * 64))
        record("test.event", "thing", 1, after={"ä": "ß", "list": [1, 2]}, subject_user_id=coordinator.id)
        db.session.commit()
    return code


def tables_with_rows(app) -> set[str]:
    return {name for name, rows in snapshot(app).items() if rows}


@pytest.fixture
def filled(app, programme, coordinator, trainer, other_coordinator):
    app.certificate_code = fill(app, programme, coordinator, trainer, other_coordinator)
    return app


def test_backup_and_restore_round_trip_every_table(filled, runner, tmp_path, databases):
    app = filled
    before = snapshot(app)
    assert {
        "users",
        "series",
        "modules",
        "sessions",
        "enrollments",
        "attendance",
        "assessments",
        "audit_events",
        "certificates",
        "signing_keys",
    } <= tables_with_rows(app)
    target = tmp_path / "sicherung.dump"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Gesichert" in result.output and target.stat().st_size > 0

    # Restore into a second, empty database: every table equal, row for row.
    other_url = databases.create("restore")
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=other_url)
    try:
        restored = other.test_cli_runner().invoke(args=["restore", "--yes", str(target)])
        assert restored.exit_code == 0, restored.output
        assert snapshot(other) == before
        # A restored certificate still verifies: status and signature, against the restored keys.
        verified = other.test_client().get(f"/api/v1/verify/{app.certificate_code}")
        assert verified.status_code == 200, verified.get_json()
        assert verified.get_json()["status"] == "valid" and verified.get_json()["signature"]["valid"] is True
        assert other.test_client().get(f"/v/{app.certificate_code}").status_code == 200
        with other.app_context():
            assert set(inspect(db.engine).get_table_names()) >= set(db.metadata.tables)
            # The restored audit table is still append-only.
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text("DELETE FROM audit_events"))
                db.session.flush()
            db.session.rollback()
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        databases.drop(other_url)


def test_restore_replaces_later_changes(filled, runner, tmp_path, factory):
    app = filled
    target = tmp_path / "stand.dump"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    before = snapshot(app)
    factory.user("coordinator", email="spaeter@example.org")
    assert snapshot(app) != before
    with app.app_context():
        counter_before = changes.current_version()
    assert runner.invoke(args=["restore", "--yes", str(target)]).exit_code == 0
    assert snapshot(app) == before
    with app.app_context():
        # Cached results of the replaced data can never match again.
        assert changes.current_version() > counter_before


def test_restore_asks_first_and_refuses_foreign_files(app, runner, tmp_path):
    foreign = tmp_path / "fremd.bin"
    foreign.write_bytes(b"keine Sicherung" * 10)
    refused = runner.invoke(args=["restore", "--yes", str(foreign)])
    assert refused.exit_code != 0
    assert "keine" in refused.output and "Sicherung" in refused.output
    asked = runner.invoke(args=["restore", str(foreign)], input="n\n")
    assert asked.exit_code != 0
    assert "Fortfahren?" in asked.output


def test_backup_is_consistent_while_the_app_writes(filled, runner, tmp_path):
    """An open, uncommitted write in another connection does not leak into the backup."""
    app = filled
    before = snapshot(app)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    target = tmp_path / "laufend.dump"
    with engine.connect() as writer:
        transaction = writer.begin()
        writer.execute(text("INSERT INTO regions (name, kind, regierungsbezirk) VALUES ('Halb', 'Landkreis', 'Darmstadt')"))
        assert runner.invoke(args=["backup", str(target)]).exit_code == 0
        transaction.rollback()
    engine.dispose()
    if not is_postgresql():
        with closing(sqlite3.connect(target)) as copy:
            assert copy.execute("SELECT count(*) FROM regions WHERE name = 'Halb'").fetchone()[0] == 0
            assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == len(before["users"])
    else:
        assert runner.invoke(args=["restore", "--yes", str(target)]).exit_code == 0
        assert snapshot(app) == before


# --- purge ------------------------------------------------------------------------------------


@pytest.fixture
def ended_programme(factory, trainer):
    """A series that ended four years ago, with two participants: one without a certificate."""
    long_ago = date.today() - timedelta(days=4 * 365)
    leaver = factory.user("coordinator", email="alt@example.org", name="Alte Teilnehmerin")
    series = factory.series(
        trainers=(trainer,),
        coordinators=(leaver,),
        start_date=long_ago - timedelta(days=90),
        end_date=long_ago,
        today=long_ago,
    )
    return {"series": series, "leaver": leaver}


def test_purge_anonymises_participants_past_retention(app, runner, ended_programme, programme, coordinator, trainer):
    leaver = ended_programme["leaver"]
    series = ended_programme["series"]
    with app.app_context():
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == leaver.id))
        db.session.add(Attendance(session_id=series.session_ids[0], enrollment_id=enrollment_id, status="excused", note="krank"))
        db.session.add(RosterSubmission(key="alt" * 10, session_id=series.session_ids[0], version=1))
        db.session.commit()
        db.session.execute(text("UPDATE roster_submissions SET created_at = :old"), {"old": utcnow() - timedelta(days=400)})
        db.session.commit()
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 Teilnehmende ohne Zertifikat würden anonymisiert" in dry.output
    with app.app_context():
        assert db.session.get(User, leaver.id).email == "alt@example.org"

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 Teilnehmende ohne Zertifikat wurden anonymisiert" in result.output
    with app.app_context():
        gone = db.session.get(User, leaver.id)
        assert gone.email.endswith("@anonymisiert.invalid") and gone.display_name == "Anonymisiert"
        assert gone.password_hash is None and not gone.active and gone.anonymized_at is not None
        assert db.session.scalar(select(Attendance.note).where(Attendance.enrollment_id == enrollment_id)) == ""
        assert db.session.scalar(select(db.func.count()).select_from(RosterSubmission)) == 0
        # Current participants and staff stay as they are.
        assert db.session.get(User, coordinator.id).email == coordinator.email
        assert db.session.get(User, trainer.id).email == trainer.email
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.anonymised" in actions and "retention.purged" in actions
    # The anonymised person can no longer sign in.
    from tests.conftest import do_login

    assert do_login(app.test_client(), leaver).status_code == 200
    # Running it again changes nothing more.
    again = runner.invoke(args=["purge"])
    assert "0 Teilnehmende" in again.output


def test_retention_is_configurable(app, runner, ended_programme):
    app.config["RETENTION_DAYS_PARTICIPANTS"] = 5 * 365
    result = runner.invoke(args=["purge"])
    assert "0 Teilnehmende" in result.output
    with app.app_context():
        assert db.session.get(User, ended_programme["leaver"].id).anonymized_at is None


def test_purge_keeps_participants_of_series_without_an_end(app, runner, factory):
    person = factory.user("coordinator", email="offen@example.org")
    factory.series(coordinators=(person,), end_date=None, start_date=None, days=((),), modules=({"title": "Offen"},))
    app.config["RETENTION_DAYS_PARTICIPANTS"] = 0
    runner.invoke(args=["purge", "--today", (date.today() + timedelta(days=3650)).isoformat()])
    with app.app_context():
        assert db.session.get(User, person.id).anonymized_at is None


def test_purge_keeps_certificate_holders(app, runner, ended_programme):
    """The verification page must keep answering for a holder, however old the series."""
    from tests.functional.test_access_matrix import certificate_code

    leaver = ended_programme["leaver"]
    with app.app_context():
        enrollment_id = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == leaver.id))
        code = certificate_code(ended_programme["series"], enrollment_id)
    result = runner.invoke(args=["purge"])
    assert "0 Teilnehmende" in result.output
    with app.app_context():
        assert db.session.get(User, leaver.id).anonymized_at is None
    assert app.test_client().get(f"/api/v1/verify/{code}").get_json()["status"] == "valid"


@pytest.mark.parametrize("setting", ["BACKUP_ENCRYPTION_KEY", "BACKUP_PASSPHRASE"])
def test_encrypted_backup_round_trip(filled, runner, tmp_path, factory, setting):
    from cryptography.fernet import Fernet

    app = filled
    secret = Fernet.generate_key().decode() if setting == "BACKUP_ENCRYPTION_KEY" else "lange geheime Passphrase 2026"
    app.config[setting] = secret
    target = tmp_path / "stand.dump.enc"
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "verschlüsselt" in made.output
    data = target.read_bytes()
    assert data.startswith(b"WIRLEARN-ENCRYPTED-BACKUP-1\n")
    assert b"SQLite format" not in data and b"PGDMP" not in data and b"example.org" not in data
    before = snapshot(app)
    factory.user("coordinator", email="spaeter@example.org")
    # Without the key, or with a wrong one, restore refuses and changes nothing.
    app.config[setting] = ""
    missing = runner.invoke(args=["restore", "--yes", str(target)])
    assert missing.exit_code != 0 and setting in missing.output
    app.config[setting] = Fernet.generate_key().decode() if setting == "BACKUP_ENCRYPTION_KEY" else "falsch"
    wrong = runner.invoke(args=["restore", "--yes", str(target)])
    assert wrong.exit_code != 0 and "Falscher" in wrong.output
    assert snapshot(app) != before
    app.config[setting] = secret
    restored = runner.invoke(args=["restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    assert snapshot(app) == before


def test_tampered_encrypted_backup_is_refused(tmp_path):
    from cryptography.fernet import Fernet

    from wirlearn.ops import encrypted

    key = Fernet.generate_key().decode()
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(encrypted.CHUNK * 2 + 10))
    sealed = tmp_path / "sealed"
    encrypted.encrypt_file(plain, sealed, key=key, passphrase=None)
    cut = tmp_path / "cut"
    cut.write_bytes(sealed.read_bytes()[:-100])
    with pytest.raises(encrypted.DecryptionError):
        encrypted.decrypt_file(cut, tmp_path / "out", key=key, passphrase=None)
    back = tmp_path / "back"
    encrypted.decrypt_file(sealed, back, key=key, passphrase=None)
    assert back.read_bytes() == plain.read_bytes()
