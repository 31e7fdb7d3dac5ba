"""The outbox's rules against a real SMTP server: written with the change or not at all, each
logical message once, delivered once the server is back, a refused recipient failing alone, the
retry schedule, leases when a worker dies, headers nobody can inject into; the Postausgang; the
worker with and without Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.mail_support import drain, mail_settings, outbox, parts
from tests.support import redis_job_queue, redis_job_settings
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.mail import sending
from wirlearn.mail.models import OutboxMessage
from wirlearn.mail.outbox import queue_message


@pytest.fixture
def app_settings(smtp):
    return mail_settings(smtp)


def invite(app, *refs):
    from wirlearn.auth.models import User
    from wirlearn.users.services import invite_user

    with app.app_context():
        for ref in refs:
            invite_user(db.session.get(User, ref.id))
        db.session.commit()


@pytest.fixture
def newcomers(factory):
    return [factory.user("trainer", email=f"neu{n}@example.org", name=f"Neu {n}", password=None) for n in range(3)]


def test_rollback_queues_nothing(app, newcomers):
    from wirlearn.auth.models import User
    from wirlearn.users.services import invite_user

    with app.app_context():
        invite_user(db.session.get(User, newcomers[0].id))
        db.session.rollback()
    assert outbox(app) == []


def test_the_same_key_is_queued_once(app):
    with app.app_context():
        assert queue_message("invitation", "same-key", to_address="a@example.org") is True
        assert queue_message("invitation", "same-key", to_address="a@example.org") is False
        db.session.commit()
        # Also across transactions, and without breaking the one that tries.
        assert queue_message("invitation", "same-key", to_address="b@example.org") is False
        db.session.commit()
    assert [m.to_address for m in outbox(app)] == ["a@example.org"]


def test_smtp_down_then_up_delivers_exactly_once_per_key(app, smtp, newcomers):
    invite(app, *newcomers)
    smtp.stop()
    result = drain(app)
    assert result.retrying == 3 and result.sent == 0
    rows = outbox(app)
    assert {m.status for m in rows} == {"retrying"}
    assert all("nicht erreichbar" in m.last_error for m in rows)
    assert all(m.next_attempt_at > utcnow() for m in rows)
    assert drain(app).handled == 0  # not due yet: nothing is tried before its time

    smtp.start()
    later = utcnow() + timedelta(minutes=2)
    assert drain(app, now_func=lambda: later).sent == 3
    assert drain(app, now_func=lambda: later + timedelta(hours=1)).handled == 0
    assert sorted(rcpt for item in smtp.received for rcpt in item.rcpt_tos) == sorted(ref.email for ref in newcomers)
    assert {m.status for m in outbox(app)} == {"sent"}


def test_a_refused_recipient_fails_alone(app, smtp, newcomers):
    smtp.refuse(newcomers[1].email)
    invite(app, *newcomers)
    result = drain(app)
    assert (result.sent, result.failed) == (2, 1)
    by_address = {m.to_address: m for m in outbox(app)}
    failed = by_address[newcomers[1].email]
    assert failed.status == "failed" and "550" in failed.last_error
    assert {by_address[newcomers[0].email].status, by_address[newcomers[2].email].status} == {"sent"}


def test_retry_schedule_backs_off_and_gives_up_after_a_day(app, smtp, newcomers):
    assert [sending.retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert sending.retry_delay(9) == timedelta(minutes=256)
    assert sending.retry_delay(10) == sending.retry_delay(30) == timedelta(hours=6)
    invite(app, newcomers[0])
    smtp.stop()
    now = utcnow()
    attempts_at = []
    while True:
        result = drain(app, now_func=lambda moment=now: moment)
        [row] = outbox(app)
        if result.handled:
            attempts_at.append(now)
        if row.status == "failed":
            break
        assert row.status == "retrying"
        now = row.next_attempt_at
    gaps = [round((b - a).total_seconds() / 60) for a, b in zip(attempts_at, attempts_at[1:], strict=False)]
    assert gaps[:4] == [1, 2, 4, 8] and max(gaps) == 360
    assert timedelta(hours=24) <= attempts_at[-1] - attempts_at[0] <= timedelta(hours=31)
    assert row.attempts == len(attempts_at)
    # The admin sees it and sends it again once the server is back: it arrives.
    smtp.start()
    with app.app_context():
        from wirlearn.mail.services import retry

        retry(row.id)
        db.session.commit()
    assert drain(app).sent == 1


def test_a_worker_that_dies_leaves_its_messages_leased_then_they_go_out_with_the_same_message_id(app, smtp, newcomers):
    invite(app, newcomers[0])
    with app.app_context():
        claimed = sending.claim(10, "dead-worker")
        assert len(claimed) == 1
        # A second worker does not take what the first holds.
        assert sending.claim(10, "other-worker") == []
        # Suppose the dead worker had sent it before dying (the server said 250, no commit).
        email, _draft = sending.prepare(claimed[0])
        first_id = email.message()["Message-ID"]
    assert drain(app).handled == 0
    after_lease = utcnow() + sending.LEASE + timedelta(seconds=1)
    assert drain(app, now_func=lambda: after_lease).sent == 1
    [row] = outbox(app)
    assert row.status == "sent" and row.attempts == 2
    [received] = smtp.received
    assert received.message["Message-ID"] == first_id


def test_header_injection_in_a_name_never_reaches_the_smtp_conversation(app, smtp, factory):
    ref = factory.user(
        "trainer", email="opfer@example.org", name="Eve\r\nBcc: boese@example.org\r\nSubject: gefälscht", password=None
    )
    invite(app, ref)
    assert drain(app).sent == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["opfer@example.org"]
    message = received.message
    assert message["Bcc"] is None
    assert message.get_all("Subject") == ["Ihr Zugang zu wirlearn: bitte Passwort setzen"]
    assert "\n" not in message["To"] and "boese@example.org" in message["To"]  # only inside the quoted name
    assert not any("boese" in line for line in smtp.handler.conversation)


def test_a_message_that_cannot_be_rendered_is_retried_and_the_others_go_out(app, smtp, newcomers, monkeypatch):
    invite(app, *newcomers[:2])
    from wirlearn.mail import account

    original = account.build_invitation

    def broken(message, user):
        if user.email == newcomers[0].email:
            raise RuntimeError("Vorlage kaputt")
        return original(message, user)

    from wirlearn.mail import kinds

    monkeypatch.setitem(
        kinds.KINDS, "invitation", kinds.KINDS["invitation"].__class__(**{**kinds.KINDS["invitation"].__dict__, "build": broken})
    )
    result = drain(app)
    assert (result.sent, result.retrying) == (1, 1)
    broken_row = next(m for m in outbox(app) if m.to_address == newcomers[0].email)
    assert broken_row.status == "retrying" and "Vorlage kaputt" in broken_row.last_error


def test_deactivated_people_and_opted_out_categories_get_nothing(app, smtp, newcomers):
    invite(app, newcomers[0])
    from wirlearn.auth.models import User

    with app.app_context():
        db.session.get(User, newcomers[0].id).active = False
        db.session.commit()
    assert drain(app).cancelled == 1
    assert smtp.received == []


# --- the Postausgang --------------------------------------------------------------------------


def test_postausgang_shows_the_refused_message_and_sends_it_after_erneut_senden(app, client, login, admin, smtp, newcomers):
    smtp.refuse(newcomers[0].email)
    invite(app, newcomers[0])
    drain(app)
    login(client, admin)
    page = client.get("/verwaltung/postausgang?status=failed").get_data(as_text=True)
    assert newcomers[0].email in page and "fehlgeschlagen" in page and "550" in page
    assert "/passwort-setzen/" not in page  # no link, no secret
    [row] = outbox(app)
    smtp.handler.refused.clear()
    response = client.post(
        f"/verwaltung/postausgang/{row.id}/erneut-senden", data={"next": "/verwaltung/postausgang?status=failed"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/verwaltung/postausgang?status=failed"
    assert drain(app).sent == 1
    assert len(smtp.messages_to(newcomers[0].email)) == 1
    assert "gesendet" in client.get("/verwaltung/postausgang").get_data(as_text=True)
    # A sent message cannot be sent "again" or cancelled.
    assert "bereits gesendet" in client.post(f"/verwaltung/postausgang/{row.id}/erneut-senden", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Nur wartende" in client.post(f"/verwaltung/postausgang/{row.id}/verwerfen", follow_redirects=True).get_data(
        as_text=True
    )


def test_postausgang_filters_and_cancel(app, client, login, admin, newcomers):
    invite(app, *newcomers)
    login(client, admin)
    assert client.get("/verwaltung/postausgang?q=neu1").get_data(as_text=True).count("neu1@example.org") == 1
    assert "neu2@example.org" not in client.get("/verwaltung/postausgang?q=neu1").get_data(as_text=True)
    assert client.get("/verwaltung/postausgang?status=quatsch").status_code == 200
    row = outbox(app)[0]
    client.post(f"/verwaltung/postausgang/{row.id}/verwerfen")
    assert outbox(app)[0].status == "cancelled"
    assert drain(app).sent == 2
    assert client.post("/verwaltung/postausgang/999999/verwerfen", follow_redirects=True).status_code == 200


def test_outbox_api_is_read_only_for_admins(app, admin, coordinator, newcomers):
    from tests.support import bearer

    invite(app, *newcomers)
    client = app.test_client()
    headers = bearer(client, admin)
    listing = client.get("/api/v1/outbox?status=queued&limit=2", headers=headers)
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert {"id", "kind", "recipient", "status", "attempts", "last_error"} <= set(body["items"][0])
    one = client.get(f"/api/v1/outbox/{body['items'][0]['id']}", headers=headers)
    assert one.status_code == 200 and one.get_json()["kind"] == "invitation"
    assert client.get("/api/v1/outbox?status=nonsense", headers=headers).status_code == 422
    assert client.get("/api/v1/outbox/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/outbox", headers=bearer(client, coordinator)).status_code == 403


# --- commands and the worker ------------------------------------------------------------------


def test_outbox_send_command(app, runner, smtp, newcomers):
    invite(app, *newcomers)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "3 gesendet, 0 erneut geplant, 0 fehlgeschlagen" in result.output
    assert runner.invoke(args=["outbox", "status"]).output.split()[:2] == ["queued", "0"]


def test_worker_without_redis_sends_in_one_burst(app, runner, smtp, newcomers):
    invite(app, *newcomers)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(smtp.received) == 3


class TestWithRedis:
    """The worker as production runs it: RQ on Redis, told after each commit."""

    @pytest.fixture
    def app_settings(self, smtp):
        return mail_settings(smtp) | redis_job_settings()

    @pytest.fixture
    def queue(self, app):
        with redis_job_queue(app) as jobs_queue:
            yield jobs_queue

    def test_commit_queues_one_job_and_the_worker_sends(self, app, queue, runner, smtp, newcomers):
        invite(app, *newcomers)  # one transaction, three messages: one job
        assert queue.count == 1
        assert smtp.received == []
        from wirlearn.jobs import runner as job_runner

        job_runner.bind(app)
        from rq import SimpleWorker

        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert len(smtp.received) == 3
        assert {m.status for m in outbox(app)} == {"sent"}

    def test_rolled_back_change_queues_no_job(self, app, queue, newcomers):
        from wirlearn.auth.models import User
        from wirlearn.users.services import invite_user

        with app.app_context():
            invite_user(db.session.get(User, newcomers[0].id))
            db.session.rollback()
        assert queue.count == 0

    def test_a_released_savepoint_is_not_a_commit_no_job_until_the_change_is_committed(self, app, queue, newcomers):
        from wirlearn.auth.models import User
        from wirlearn.users.services import invite_user

        with app.app_context():
            invite_user(db.session.get(User, newcomers[0].id))
            with db.session.begin_nested():  # as a batch's step or a roster's rows
                invite_user(db.session.get(User, newcomers[1].id))
            assert queue.count == 0
            db.session.rollback()
        assert queue.count == 0 and outbox(app) == []
        invite(app, newcomers[0])
        assert queue.count == 1

    def test_worker_command_runs_periodic_jobs_and_queued_ones(self, app, queue, runner, smtp, newcomers):
        invite(app, *newcomers)
        result = runner.invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        assert len(smtp.received) == 3


def test_production_refuses_to_start_without_a_sender(monkeypatch):
    """Also from a config module imported again (the check belongs to the class, not to the
    class object wirlearn imported first)."""
    import importlib

    import config
    from wirlearn import create_app

    monkeypatch.delenv("MAIL_DEFAULT_SENDER", raising=False)
    production = importlib.reload(config).ProductionConfig
    try:
        with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER"):
            create_app(
                production, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://", BASE_URL="https://zertifikate.example"
            )
        app = create_app(
            production,
            SECRET_KEY="x" * 40,
            SQLALCHEMY_DATABASE_URI="sqlite://",
            BASE_URL="https://zertifikate.example",
            MAIL_DEFAULT_SENDER="WIR <noreply@wir.example>",
        )
        assert app.config["MAIL_DEFAULT_SENDER"] == "WIR <noreply@wir.example>"
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_development_writes_eml_files(tmp_path, database_url):
    from wirlearn import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, MAIL_EML_DIR=str(tmp_path / "mail"))
    with app.app_context():
        queue_message("password_reset", "dev-eml", to_address="niemand@example.org")
        db.session.commit()
        from wirlearn.users.services import create_user

        create_user("dev@example.org", "Dev Person", {"trainer"}, invite=True)
        db.session.commit()
        result = sending.send_due()
        db.session.execute(update(OutboxMessage).values(status="sent"))
        db.session.remove()
        db.engine.dispose()
    assert result.sent == 1 and result.cancelled == 1
    [eml] = list((tmp_path / "mail").glob("*.eml"))
    from email import message_from_bytes, policy

    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "Dev Person <dev@example.org>"
    assert "/passwort-setzen/" in parts(message)[0]
    # The sign-in page of the demo says where the mails are.
    page = app.test_client().get("/anmelden").get_data(as_text=True)
    assert str(tmp_path / "mail") in page and ".eml" in page


def test_finished_messages_are_pruned_after_the_keeping_period(app, newcomers):
    invite(app, *newcomers)
    with app.app_context():
        from wirlearn.mail.services import prune

        db.session.execute(update(OutboxMessage).where(OutboxMessage.to_address == newcomers[0].email).values(status="sent"))
        db.session.execute(update(OutboxMessage).where(OutboxMessage.to_address == newcomers[1].email).values(status="failed"))
        db.session.commit()
        assert prune(utcnow() + timedelta(days=89)) == 0
        assert prune(utcnow() + timedelta(days=91)) == 2
        db.session.commit()
    assert [m.to_address for m in outbox(app)] == [newcomers[2].email]  # still waiting: kept
