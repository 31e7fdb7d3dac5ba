"""Faults: the database unreachable gives a German 503 with Retry-After and writes nothing half;
after recovery a resubmitted form is recorded exactly once; an exception injected at any write
statement of a multi-step change leaves no trace."""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.databases import is_postgresql
from tests.routes import changed_tables, snapshot
from wirlearn import create_app
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.extensions import db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class Injector:
    """Raise at the n-th write statement (``fail_at``), or at every statement while ``down``."""

    def __init__(self):
        self.fail_at: int | None = None
        self.down = False
        self.writes = 0
        self.fired = False

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.down:
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection unexpectedly"))
        if WRITE.match(statement):
            self.writes += 1
            if self.fail_at is not None and self.writes == self.fail_at:
                self.fired = True
                raise RuntimeError("injected fault")

    def reset(self, fail_at: int | None = None) -> None:
        self.fail_at, self.writes, self.fired = fail_at, 0, False


@pytest.fixture
def injector(app):
    injector = Injector()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", injector)
    yield injector
    event.remove(engine, "before_cursor_execute", injector)


def unreachable_url(tmp_path) -> str:
    if is_postgresql():
        return "postgresql+psycopg://postgres@127.0.0.1:1/gibt_es_nicht?connect_timeout=2"
    return f"sqlite:///{tmp_path}/fehlt/ganz/wirlearn.sqlite3"


def assert_german_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
    return body


def test_database_unreachable_gives_german_503(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=unreachable_url(tmp_path))
    client = app.test_client()
    page = assert_german_503(client.post("/anmelden", data={"email": "a@example.org", "password": "egal-egal-egal"}))
    assert "Vorübergehend nicht verfügbar" in page and "Es wurde nichts gespeichert" in page
    assert_german_503(client.get("/healthz"))
    api = client.post("/api/v1/token", json={"email": "a@example.org", "password": "egal-egal-egal"})
    assert_german_503(api)
    assert api.mimetype == "application/problem+json"
    with app.app_context():
        db.engine.dispose()


def create_user_form(email: str) -> dict:
    return {"email": email, "display_name": "Neu Angelegt", "roles": ["trainer"], "region_id": ""}


def count_users(app, email: str) -> tuple[int, int]:
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.created"))
    return users, events


def test_outage_mid_request_writes_nothing_and_resubmission_is_recorded_once(app, client, login, admin, injector):
    login(client, admin)
    before = snapshot(app)
    injector.down = True
    assert_german_503(client.post("/verwaltung/nutzer/neu", data=create_user_form("neu@example.org")))
    injector.down = False
    assert changed_tables(before, snapshot(app)) == []
    # The database is back: the person sends the same form again.
    assert client.post("/verwaltung/nutzer/neu", data=create_user_form("neu@example.org")).status_code == 302
    assert count_users(app, "neu@example.org") == (1, 1)
    # Sent a third time (back button): refused with a message, still one.
    again = client.post("/verwaltung/nutzer/neu", data=create_user_form("neu@example.org"))
    assert "bereits vergeben" in again.get_data(as_text=True)
    assert count_users(app, "neu@example.org") == (1, 1)


def multi_step_operations(programme, coordinator, trainer):
    """Requests that write several rows (and an audit event) in one transaction."""
    main = programme["main"]
    return {
        "create user": ("POST", "/verwaltung/nutzer/neu", create_user_form("mehr@example.org")),
        "change roles": (
            "POST",
            f"/verwaltung/nutzer/{trainer.id}",
            {"email": trainer.email, "display_name": "Neuer Name", "roles": ["trainer", "admin"], "region_id": ""},
        ),
        "deactivate": ("POST", f"/verwaltung/nutzer/{coordinator.id}/deaktivieren", {}),
        "import coordinators": ("IMPORT", "/verwaltung/nutzer/import", None),
        "withdraw enrollment": ("ENROLLMENT", main.id, None),
    }


def run_operation(app, client, kind, target, data, coordinator):
    if kind == "POST":
        return client.post(target, data=data)
    if kind == "IMPORT":
        import io

        csv = "email;name;region\neins@example.org;Eins;Kassel\nzwei@example.org;Zwei;Darmstadt\n"
        return client.post(target, data={"file": (io.BytesIO(csv.encode()), "liste.csv")}, content_type="multipart/form-data")
    if kind == "ENROLLMENT":
        from wirlearn.programme.models import Enrollment

        with app.app_context():
            enrollment_id = db.session.scalar(
                select(Enrollment.id).where(Enrollment.series_id == target, Enrollment.user_id == coordinator.id)
            )
        return client.post(f"/verwaltung/einschreibungen/{enrollment_id}/status", data={"status": "withdrawn"})
    raise AssertionError(kind)


@pytest.mark.parametrize("operation", ["create user", "change roles", "deactivate", "import coordinators", "withdraw enrollment"])
def test_fault_at_any_write_leaves_no_trace(app, login, admin, programme, coordinator, trainer, injector, operation):
    client = app.test_client()
    login(client, admin)
    kind, target, data = multi_step_operations(programme, coordinator, trainer)[operation]
    for fail_at in range(1, 50):
        before = snapshot(app)
        injector.reset(fail_at)
        response = run_operation(app, client, kind, target, data, coordinator)
        if not injector.fired:
            # Past the last write: the operation went through and wrote at least two statements.
            assert fail_at > 2, f"{operation}: only {injector.writes} write(s)"
            assert response.status_code == 302, response.status_code
            assert changed_tables(before, snapshot(app)) != []
            break
        assert response.status_code == 500, f"{operation} at write {fail_at}: {response.status_code}"
        assert "Es wurde nichts gespeichert" in response.get_data(as_text=True)
        assert changed_tables(before, snapshot(app)) == [], f"{operation}: fault at write {fail_at} left a trace"
    else:
        pytest.fail(f"{operation} never completed")


def test_fault_during_second_factor_enrolment_leaves_no_trace(app, client, login, trainer, injector):
    import pyotp

    login(client, trainer)
    client.post("/konto/zwei-faktor/einrichten")
    with app.app_context():
        secret = db.session.get(User, trainer.id).totp_secret
    before = snapshot(app)
    injector.reset(3)  # after the TOTP step is stored, amid the recovery codes
    with contextlib.suppress(Exception):
        response = client.post("/konto/zwei-faktor", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 500
    assert injector.fired
    assert changed_tables(before, snapshot(app)) == []


def test_roster_sent_during_an_outage_and_again_after_it_is_recorded_once(app, login, programme, trainer, coordinator, injector):
    from wirlearn.attendance.models import Attendance

    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    page = client.get(f"/termine/{session_id}/anwesenheit").get_data(as_text=True)
    form = {
        "version": re.search(r'name="version" value="(\d+)"', page).group(1),
        "submission_key": re.search(r'name="submission_key" value="([^"]+)"', page).group(1),
        "action": "save",
        f"status-{coordinator.id}": "late",
        f"note-{coordinator.id}": "Zug",
        f"orig-status-{coordinator.id}": "",
        f"orig-note-{coordinator.id}": "",
    }
    before = snapshot(app)
    injector.down = True
    assert_german_503(client.post(f"/termine/{session_id}/anwesenheit", data=form))
    injector.down = False
    assert changed_tables(before, snapshot(app)) == []
    assert client.post(f"/termine/{session_id}/anwesenheit", data=form).status_code == 302
    # The same form once more (reload, double click): recognised, not recorded again.
    assert client.post(f"/termine/{session_id}/anwesenheit", data=form).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Attendance)).all()
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "attendance"))
    assert [(row.status, row.note) for row in rows] == [("late", "Zug")]
    assert events == 1
