"""Brute-force limits on signing in: per client address, per account and address, and a higher
per-account ceiling that spares the account's own browsers — on the sign-in page, its second
step and POST /api/v1/token, one budget per user; a German 429 page with Retry-After; counters
in Redis are shared by every app process; the client address behind a reverse proxy is
configurable."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.certificate_support import signing_key_dir  # noqa: F401 - fixture
from tests.conftest import do_login
from tests.support import ACCOUNT_ADDRESS_LIMIT, ACCOUNT_LIMIT, ADDRESS_LIMIT, redis_url, sign_in_limit_settings

ROOT = Path(__file__).resolve().parents[2]
STRANGER = "203.0.113.66"
OWNER = "198.51.100.20"


@pytest.fixture
def app_settings():
    return sign_in_limit_settings()


def attempt(client, email, password="falsch-falsch-falsch", address="198.51.100.7", **headers):  # noqa: S107
    return client.post(
        "/anmelden", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def token(client, email, password="falsch-falsch-falsch", address="198.51.100.7", **fields):  # noqa: S107
    return client.post(
        "/api/v1/token", json={"email": email, "password": password, **fields}, environ_base={"REMOTE_ADDR": address}
    )


def assert_refused_in_german(response):
    assert response.status_code == 429
    assert "Zu viele Anfragen" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "Content-Security-Policy" in response.headers


def test_failed_sign_ins_per_account_and_address_are_limited(app, coordinator, other_coordinator):
    stranger = app.test_client()
    for _ in range(ACCOUNT_ADDRESS_LIMIT):
        assert attempt(stranger, coordinator.email, address=STRANGER).status_code == 200
    # This address waits for this account, even with the right password …
    assert_refused_in_german(attempt(stranger, coordinator.email, coordinator.password, address=STRANGER))
    # … but may still sign in to another account.
    assert attempt(stranger, other_coordinator.email, other_coordinator.password, address=STRANGER).status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(app, coordinator):
    """Five wrong passwords for someone else's address used to answer 429 to the owner too."""
    from config import Config

    for name in ("RATELIMIT_LOGIN", "RATELIMIT_LOGIN_PER_ACCOUNT", "RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS"):
        app.config[name] = getattr(Config, name, None)  # the defaults an operator gets
    stranger = app.test_client()
    for _ in range(5):
        assert attempt(stranger, coordinator.email, address=STRANGER).status_code == 200
    assert attempt(stranger, coordinator.email, address=STRANGER).status_code == 429
    owner = app.test_client()
    assert attempt(owner, coordinator.email, coordinator.password, address=OWNER).status_code == 302
    api = token(app.test_client(), coordinator.email, coordinator.password, address=OWNER)
    assert api.status_code == 200, api.json


def test_guessing_spread_over_addresses_hits_the_account_ceiling_but_not_the_owners_browser(app, coordinator):
    owner = app.test_client()
    assert attempt(owner, coordinator.email, coordinator.password, address=OWNER).status_code == 302  # a known browser
    owner.post("/abmelden")
    botnet = app.test_client()
    for number in range(ACCOUNT_LIMIT):
        assert attempt(botnet, coordinator.email, address=f"192.0.2.{number}").status_code == 200
    # The ceiling: a new address, a new browser — refused, even with the right password.
    assert_refused_in_german(attempt(botnet, coordinator.email, coordinator.password, address="192.0.2.200"))
    assert token(app.test_client(), coordinator.email, coordinator.password, address=OWNER).status_code == 429
    # The owner's own browser still signs in, from any address.
    assert attempt(owner, coordinator.email, coordinator.password, address="192.0.2.201").status_code == 302


def test_a_forged_device_cookie_does_not_lift_the_ceiling(app, coordinator):
    botnet = app.test_client()
    for number in range(ACCOUNT_LIMIT):
        attempt(botnet, coordinator.email, address=f"192.0.2.{number}")
    botnet.set_cookie("wirlearn_device", "[" + str(coordinator.id) + "]")
    assert attempt(botnet, coordinator.email, coordinator.password, address="192.0.2.200").status_code == 429


def test_failed_sign_ins_per_address_are_limited(client, coordinator):
    for number in range(ADDRESS_LIMIT):
        assert attempt(client, f"person{number}@example.org").status_code == 200
    assert_refused_in_german(attempt(client, coordinator.email, coordinator.password))
    # Another address is not affected.
    assert attempt(client, coordinator.email, coordinator.password, address="198.51.100.8").status_code == 302


def test_successful_sign_ins_do_not_count(app, coordinator):
    for _ in range(ADDRESS_LIMIT + 2):
        browser = app.test_client()
        assert attempt(browser, coordinator.email, coordinator.password).status_code == 302


def test_variants_of_the_address_count_for_the_same_account(app, coordinator):
    """The account comes from the server's lookup, not from how the client spells the address."""
    client = app.test_client()
    local, domain = coordinator.email.split("@")
    spellings = [
        coordinator.email.upper(),
        " " + coordinator.email + " ",
        "".join(chr(ord(c) + 0xFEE0) for c in local) + "@" + domain,
    ]
    for spelling in spellings:
        assert attempt(client, spelling, address=STRANGER).status_code == 200
    assert attempt(client, coordinator.email, coordinator.password, address=STRANGER).status_code == 429


def test_api_token_shares_the_account_budget_and_answers_problem_json(client, coordinator):
    attempt(client, coordinator.email, address=STRANGER)
    attempt(client, coordinator.email, address=STRANGER)
    assert token(client, coordinator.email, address=STRANGER).status_code == 401
    refused = token(client, coordinator.email.upper(), coordinator.password, address=STRANGER)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0


def enrolled_second_step(app, trainer):
    from tests.functional.test_two_factor import enrol

    setup = app.test_client()
    do_login(setup, trainer)
    secret, _codes = enrol(app, setup, trainer)
    return secret


def test_second_step_limit_cannot_be_reset_by_a_form_field(app, trainer):
    """The second step is keyed by the session's pending user; an added, changing ``email`` field
    used to give every guess a fresh budget."""
    enrolled_second_step(app, trainer)
    attacker = app.test_client()
    assert attempt(attacker, trainer.email, trainer.password, address=STRANGER).headers["Location"] == "/anmelden/bestaetigen"
    for number in range(ACCOUNT_ADDRESS_LIMIT):
        guess = attacker.post(
            "/anmelden/bestaetigen",
            data={"code": f"00000{number}", "email": f"other{number}@example.org"},
            environ_base={"REMOTE_ADDR": STRANGER},
        )
        assert guess.status_code == 200
    refused = attacker.post(
        "/anmelden/bestaetigen", data={"code": "123456", "email": "fresh@example.org"}, environ_base={"REMOTE_ADDR": STRANGER}
    )
    assert_refused_in_german(refused)


def test_password_step_second_step_and_token_share_one_budget(app, trainer):
    from tests.functional.test_two_factor import code_for

    secret = enrolled_second_step(app, trainer)
    attacker = app.test_client()
    assert attempt(attacker, trainer.email, address=STRANGER).status_code == 200  # 1: wrong password
    assert attempt(attacker, trainer.email, trainer.password, address=STRANGER).status_code == 302
    here = {"REMOTE_ADDR": STRANGER}
    assert attacker.post("/anmelden/bestaetigen", data={"code": "000000"}, environ_base=here).status_code == 200  # 2
    assert token(attacker, trainer.email, trainer.password, address=STRANGER, otp="000000").status_code == 401  # 3
    # The budget is spent: neither step nor the API takes even the right code from here.
    assert attacker.post("/anmelden/bestaetigen", data={"code": code_for(secret, 1)}, environ_base=here).status_code == 429
    assert token(attacker, trainer.email, trainer.password, address=STRANGER, otp=code_for(secret, 1)).status_code == 429
    assert attempt(attacker, trainer.email, trainer.password, address=STRANGER).status_code == 429


def test_second_step_without_pending_sign_in_counts_only_for_the_address(app, coordinator):
    client = app.test_client()
    for _ in range(ADDRESS_LIMIT):
        response = client.post("/anmelden/bestaetigen", data={"code": "000000"}, environ_base={"REMOTE_ADDR": STRANGER})
        assert response.status_code == 302
    assert client.post("/anmelden/bestaetigen", data={"code": "0"}, environ_base={"REMOTE_ADDR": STRANGER}).status_code == 429
    # Nobody else's budget was touched.
    assert attempt(app.test_client(), coordinator.email, coordinator.password, address=OWNER).status_code == 302


def test_forwarded_address_ignored_without_proxy_setting(client, coordinator):
    """Without PROXY_FIX_X_FOR an attacker cannot dodge the address limit with made-up headers."""
    for number in range(ADDRESS_LIMIT):
        attempt(client, f"p{number}@example.org", **{"X-Forwarded-For": f"192.0.2.{number}"})
    assert attempt(client, coordinator.email, coordinator.password, **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_address_behind_a_reverse_proxy(database_url, app_settings):
    from wirlearn import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, PROXY_FIX_X_FOR=1, **app_settings)
    client = app.test_client()
    for number in range(ADDRESS_LIMIT):
        assert attempt(client, f"p{number}@example.org", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 200
    # Same proxy, same client behind it: refused; another client behind the same proxy: not.
    assert attempt(client, "x@example.org", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert attempt(client, "x@example.org", **{"X-Forwarded-For": "192.0.2.2"}).status_code == 200
    with app.app_context():
        from wirlearn.extensions import db

        db.engine.dispose()


def test_rate_limit_page_is_english_on_request(client, coordinator):
    for _ in range(ACCOUNT_ADDRESS_LIMIT):
        attempt(client, coordinator.email, address=STRANGER)
    response = client.post(
        "/anmelden",
        data={"email": coordinator.email, "password": "x"},
        headers={"Accept-Language": "en"},
        environ_base={"REMOTE_ADDR": STRANGER},
    )
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)


# --- Redis: two app processes share one counter -----------------------------------------------

WORKER = """
import json, sys
from wirlearn import create_app
url, storage, prefix, email, count = sys.argv[1:6]
app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage,
                 RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_LOGIN_PER_ACCOUNT="3 per minute", RATELIMIT_LOGIN="100 per minute")
client = app.test_client()
codes = [client.post("/anmelden", data={"email": email, "password": "falsch-falsch-falsch"}).status_code for _ in range(int(count))]
print(json.dumps(codes))
"""


def run_worker(database_url: str, prefix: str, email: str, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, redis_url(), prefix, email, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_app_processes_share_one_counter_in_redis(database_url, coordinator):
    import redis

    connection = redis.Redis.from_url(redis_url())
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is needed for this test at {redis_url()} (WIRLEARN_TEST_REDIS_URL): {error}")
    prefix = f"wirlearn-test-{uuid.uuid4().hex[:12]}"
    try:
        assert run_worker(database_url, prefix, coordinator.email, 2) == [200, 200]
        # A second process, its own memory, the same Redis: the third failure is the last allowed.
        assert run_worker(database_url, prefix, coordinator.email, 2) == [200, 429]
        assert any(connection.scan_iter(match=f"*{prefix}*"))
    finally:
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()


def test_sign_in_stays_limited_when_redis_is_unreachable(database_url, coordinator):
    """The counters fall back to the process's memory: sign-in works and is still limited."""
    from wirlearn import create_app
    from wirlearn.extensions import db

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0?socket_connect_timeout=0.2",
        RATELIMIT_LOGIN_PER_ACCOUNT="2 per minute",
    )
    client = app.test_client()
    assert attempt(client, coordinator.email).status_code == 200
    assert attempt(client, coordinator.email).status_code == 200
    assert attempt(client, coordinator.email, coordinator.password).status_code == 429
    with app.app_context():
        db.engine.dispose()


def test_verification_page_and_json_are_limited_per_address(app, programme, coordinator, signing_key_dir):  # noqa: F811
    from tests.functional.test_access_matrix import sample_values

    app.config["SIGNING_KEY_DIR"] = str(signing_key_dir)
    code = sample_values(app, programme, coordinator)["code"]
    app.config["RATELIMIT_VERIFY"] = "3 per minute"
    client = app.test_client()
    here = {"REMOTE_ADDR": "192.0.2.10"}
    assert client.get(f"/v/{code}", environ_base=here).status_code == 200
    assert client.get(f"/api/v1/verify/{code}", environ_base=here).status_code == 200
    assert client.get(f"/v/{code}", environ_base=here).status_code == 200
    page = client.get(f"/v/{code}", environ_base=here)
    assert_refused_in_german(page)
    api = client.get(f"/api/v1/verify/{code}", environ_base=here)
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
    # Another address is served.
    assert client.get(f"/v/{code}", environ_base={"REMOTE_ADDR": "192.0.2.11"}).status_code == 200


@pytest.fixture
def frozen_limiter_clock(monkeypatch):
    """Stops the clock of the in-memory rate-limit storage (the one seam where ``limits`` reads
    the time) at the test's start, so a fixed one-minute window cannot run out half-way through
    a test on a busy machine and hand out a fresh budget."""
    import time
    import types

    from limits.storage import memory

    now = time.time()
    monkeypatch.setattr(memory, "time", types.SimpleNamespace(time=lambda: now))
    return now


def test_codes_in_other_digits_are_failed_attempts_not_errors(app, trainer, frozen_limiter_clock):
    """Arabic-Indic or superscript digits once crashed the code check; now they are wrong codes
    like any other: a German message, an audit event, and they count against the budget."""
    from sqlalchemy import func, select

    from wirlearn.audit.models import AuditEvent
    from wirlearn.extensions import db

    enrolled_second_step(app, trainer)
    attacker = app.test_client()
    here = {"REMOTE_ADDR": STRANGER}
    attempt(attacker, trainer.email, trainer.password, address=STRANGER)
    for code in ("١٢٣٤٥٦", "¹²³⁴⁵⁶"):
        page = attacker.post("/anmelden/bestaetigen", data={"code": code}, environ_base=here)
        assert page.status_code == 200
        assert "Der Code ist nicht richtig" in page.get_data(as_text=True)
    api = token(attacker, trainer.email, trainer.password, address=STRANGER, otp="٠١٢٣٤٥٦٧٨٩ab-cdef-ghjk")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    with app.app_context():
        failed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.2fa_failed")
        assert db.session.scalar(failed) == 3
    assert attacker.post("/anmelden/bestaetigen", data={"code": "١٢٣٤٥٦"}, environ_base=here).status_code == 429


def test_failed_sign_ins_count_over_the_last_sixty_seconds_not_per_window_since_the_first(app, coordinator, monkeypatch):
    """The moving window (RATELIMIT_STRATEGY, default "moving-window"): every failed attempt
    counts for exactly 60 seconds. A fixed window would start afresh one minute after the first
    attempt and let an attacker who times a burst at its end try twice the budget within seconds."""
    import time
    import types

    from limits.storage import memory

    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(memory, "time", types.SimpleNamespace(time=lambda: clock["now"]))
    stranger = app.test_client()

    def fail_at(seconds: float) -> int:
        clock["now"] = start + seconds
        return attempt(stranger, coordinator.email, address=STRANGER).status_code

    assert ACCOUNT_ADDRESS_LIMIT == 3
    assert [fail_at(0), fail_at(50), fail_at(50)] == [200, 200, 200]
    # 61 seconds on, the first attempt no longer counts: one more try, then the budget is spent
    # again, because the two at second 50 still count.
    assert fail_at(61) == 200
    clock["now"] = start + 62
    refused = attempt(stranger, coordinator.email, coordinator.password, address=STRANGER)
    assert refused.status_code == 429
    assert "Zu viele Anfragen" in refused.get_data(as_text=True)
    # A minute after the attempts at second 50, the owner's right password goes through.
    clock["now"] = start + 111
    assert attempt(stranger, coordinator.email, coordinator.password, address=STRANGER).status_code == 302
