"""The audit trail: sign-ins (success and failure), refused accesses and user administration write
events in the same transaction; no secrets in them; UPDATE and DELETE fail in the database itself,
through the ORM as well as in raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from tests.conftest import do_login
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db


def events(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


def test_sign_ins_are_audited_with_address_but_without_password(app, client, coordinator):
    do_login(client, coordinator, "falsch-falsch-falsch")
    do_login(client, coordinator)
    failed, success = events(app)[-2:]
    assert (failed.action, success.action) == ("auth.login_failed", "auth.login")
    assert failed.after["email"] == coordinator.email and failed.after["reason"] == "credentials"
    assert success.actor_id == coordinator.id and success.ip_address == "127.0.0.1"
    assert "falsch" not in str(failed.after)


def test_unknown_account_sign_in_is_audited(app, client):
    client.post("/anmelden", data={"email": "Niemand@Example.org", "password": "egal-egal-egal"})
    (event,) = events(app)
    assert event.action == "auth.login_failed" and event.actor_id is None
    assert event.after["email"] == "niemand@example.org"


def test_refused_access_is_audited(app, client, login, coordinator):
    login(client, coordinator)
    assert client.get("/verwaltung/nutzer/").status_code == 403
    event = events(app)[-1]
    assert event.action == "access.refused" and event.actor_id == coordinator.id
    assert event.after == {"method": "GET", "path": "/verwaltung/nutzer/"}


def test_user_administration_is_audited(app, client, login, admin, coordinator):
    login(client, admin)
    client.post("/verwaltung/nutzer/neu", data={"email": "neu@example.org", "display_name": "Neu", "roles": ["trainer"]})
    client.post(f"/verwaltung/nutzer/{coordinator.id}/deaktivieren")
    client.post(f"/verwaltung/nutzer/{coordinator.id}/aktivieren")
    client.post(f"/verwaltung/nutzer/{coordinator.id}/passwort-link")
    actions = [event.action for event in events(app)]
    for expected in ("user.created", "user.deactivated", "user.activated", "user.password_link_created"):
        assert expected in actions
    created = next(event for event in events(app) if event.action == "user.created")
    assert created.actor_id == admin.id and created.after["roles"] == ["trainer"]


def test_secret_keys_are_scrubbed(ctx):
    from wirlearn.audit.services import record

    event = record("test.secret", "thing", 1, before={"password": "x"}, after={"token": "y", "totp_secret": "z", "name": "n"})
    assert event.before == {"password": "[entfernt]"}
    assert event.after == {"token": "[entfernt]", "totp_secret": "[entfernt]", "name": "n"}


def test_orm_cannot_change_or_delete_an_event(ctx):
    from wirlearn.audit.services import record

    record("test.event", "thing", 1, after={"a": 1})
    db.session.commit()
    event = db.session.scalars(select(AuditEvent)).one()
    event.action = "manipuliert"
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(AuditEvent)).one())
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_events")).scalar() == "test.event"
