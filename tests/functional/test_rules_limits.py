"""Rules of the sign-in and password-reset limits, on routes declared at test time with the
decorators from wirlearn.auth.limits, the way the sign-in page, its second step, the token
endpoint and the reset request use them: only failed attempts count, per client address, per
account and address, and a per-account ceiling that spares the account's own browsers; the second
step is about the session's pending user; every reset request counts; the forms still open.

The app's own routes are decorated when the app is imported; declaring routes here runs the
decorators again while a test runs, so what they decide is checked too."""

from __future__ import annotations

import itertools
import time

import pytest
from flask import request, session
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support import ACCOUNT_ADDRESS_LIMIT, ACCOUNT_LIMIT, ADDRESS_LIMIT, sign_in_limit_settings
from wirlearn.auth import services
from wirlearn.auth.limits import PENDING_KEY, mark_failed, password_reset_limits, second_step_limits, sign_in_limits
from wirlearn.core.access import public
from wirlearn.extensions import db

STRANGER = "203.0.113.66"
OWNER = "198.51.100.20"
WRONG = "falsch-falsch-falsch"
CODE = "123456"
DAY = 86400

_names = itertools.count()


@pytest.fixture
def app_settings():
    return sign_in_limit_settings() | {
        "RATELIMIT_PASSWORD_RESET": "5 per hour",
        "RATELIMIT_PASSWORD_RESET_PER_ACCOUNT": "2 per hour",
    }


def declare(app, path: str, decorator, handler) -> None:
    """``handler`` under ``path`` behind ``decorator`` (and public, like the real routes), as a
    view with a name of its own: the limiter keeps its limits per view name for the process."""

    def view():
        return handler()

    view.__name__ = view.__qualname__ = f"rules_limits_view_{next(_names)}"
    app.add_url_rule(path, endpoint=view.__name__, view_func=public(decorator(view)), methods=["GET", "POST"])


def check_password():
    """Like the sign-in page: a form (or JSON body) with email and password."""
    if request.method == "GET":
        return "Anmeldeformular"
    body = request.get_json(silent=True) if request.is_json else request.form
    email = body.get("email") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    user = services.authenticate(email, password) if isinstance(email, str) and isinstance(password, str) else None
    if user is None:
        mark_failed()
        db.session.commit()
        return "falsch"
    services.start_session(user)  # remembers this browser for the account
    db.session.commit()
    return "angemeldet"


def check_code():
    """Like the second step: a code for the user whose password this session proved."""
    if request.method == "GET":
        return "Codeformular"
    if session.get(PENDING_KEY) is None or request.form.get("code") != CODE:
        mark_failed()
        return "falsch"
    return "bestätigt"


def request_reset():
    return "Formular" if request.method == "GET" else "angefordert"


@pytest.fixture
def routes(app):
    declare(app, "/t/anmelden", sign_in_limits, check_password)
    declare(app, "/t/bestaetigen", second_step_limits, check_code)
    declare(app, "/t/passwort-vergessen", password_reset_limits, request_reset)
    declare(app, "/t/api/password-reset", password_reset_limits, request_reset)  # the API's twin
    return app


def sign_in(client, email, password=WRONG, address=STRANGER, **kwargs):
    return client.post(
        "/t/anmelden", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, **kwargs
    )


def confirm(client, code="000000", address=STRANGER, **fields):
    return client.post("/t/bestaetigen", data={"code": code, **fields}, environ_base={"REMOTE_ADDR": address})


def half_signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as pending:
        pending[PENDING_KEY] = {"uid": user.id}
    return client


def outcome(response) -> tuple[int, str]:
    text = response.get_data(as_text=True)
    return response.status_code, text if response.status_code == 200 else ""


def refused(response) -> bool:
    return response.status_code == 429 and "Zu viele Anfragen" in response.get_data(as_text=True)


def test_failed_sign_ins_for_one_account_from_one_address_stop_only_that_pair(routes, coordinator, other_coordinator):
    stranger = routes.test_client()
    for _ in range(ACCOUNT_ADDRESS_LIMIT):
        assert outcome(sign_in(stranger, coordinator.email)) == (200, "falsch")
    assert refused(sign_in(stranger, coordinator.email, coordinator.password))
    # The same address may still sign in to another account, the owner from their own address.
    assert outcome(sign_in(stranger, other_coordinator.email, other_coordinator.password)) == (200, "angemeldet")
    assert outcome(sign_in(routes.test_client(), coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")


def test_failed_sign_ins_from_one_address_stop_it_for_every_account(routes, coordinator):
    """Failures on the password step and the second step count for one budget of the address."""
    client = routes.test_client()
    for number in range(ADDRESS_LIMIT):
        if number % 2:
            assert outcome(confirm(client)) == (200, "falsch")
        else:
            assert outcome(sign_in(client, f"person{number}@example.org")) == (200, "falsch")
    assert refused(sign_in(client, coordinator.email, coordinator.password))
    assert outcome(sign_in(client, coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")


def test_successful_sign_ins_do_not_count(routes, coordinator):
    for _ in range(ACCOUNT_LIMIT + 2):
        assert outcome(sign_in(routes.test_client(), coordinator.email, coordinator.password)) == (200, "angemeldet")


def test_the_sign_in_form_still_opens_when_an_address_has_spent_its_budget(routes):
    client = routes.test_client()
    for number in range(ADDRESS_LIMIT):
        sign_in(client, f"person{number}@example.org")
    assert refused(sign_in(client, "noch-jemand@example.org"))
    assert outcome(client.get("/t/anmelden", environ_base={"REMOTE_ADDR": STRANGER})) == (200, "Anmeldeformular")


def test_a_post_without_an_email_address_counts_only_for_the_client_address(routes):
    client = routes.test_client()
    for number in range(ADDRESS_LIMIT):
        # No account to count for: more than one account's budget from here, and many addresses.
        response = client.post("/t/anmelden", data={"password": WRONG}, environ_base={"REMOTE_ADDR": STRANGER})
        assert outcome(response) == (200, "falsch"), number
    for number in range(ACCOUNT_LIMIT + 1):
        response = client.post("/t/anmelden", data={"password": WRONG}, environ_base={"REMOTE_ADDR": f"192.0.2.{number}"})
        assert outcome(response) == (200, "falsch"), number


def test_odd_json_bodies_are_failed_attempts_not_errors(routes, coordinator):
    client = routes.test_client()
    here = {"REMOTE_ADDR": STRANGER}
    for body in ("{nicht json", '["eine", "liste"]', '{"email": 5, "password": "x"}', '{"email": null}', "[]"):
        response = client.post("/t/anmelden", data=body, content_type="application/json", environ_base=here)
        assert outcome(response) == (200, "falsch"), body
    assert refused(sign_in(client, coordinator.email, coordinator.password))


def test_guessing_spread_over_addresses_hits_the_account_ceiling_but_not_the_owners_browser(routes, coordinator):
    owner = routes.test_client()
    assert outcome(sign_in(owner, coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")
    for number in range(ACCOUNT_LIMIT):
        assert outcome(sign_in(routes.test_client(), coordinator.email, address=f"192.0.2.{number}")) == (200, "falsch")
    assert refused(sign_in(routes.test_client(), coordinator.email, coordinator.password, "192.0.2.200"))
    assert outcome(sign_in(owner, coordinator.email, coordinator.password, "192.0.2.201")) == (200, "angemeldet")


def test_guessing_spread_over_both_steps_and_many_addresses_hits_one_ceiling(routes, trainer):
    half = ACCOUNT_LIMIT // 2
    for number in range(half):
        assert outcome(sign_in(routes.test_client(), trainer.email, address=f"192.0.2.{number}")) == (200, "falsch")
    attacker = half_signed_in(routes, trainer)
    for number in range(half, ACCOUNT_LIMIT):
        assert outcome(confirm(attacker, address=f"192.0.2.{number}")) == (200, "falsch")
    assert refused(sign_in(routes.test_client(), trainer.email, trainer.password, "192.0.2.200"))


def spend_the_ceiling(app, user) -> None:
    for number in range(ACCOUNT_LIMIT):
        sign_in(app.test_client(), user.email, address=f"192.0.2.{number}")
    assert refused(sign_in(app.test_client(), user.email, user.password, "192.0.2.200"))


def test_a_browser_remembers_each_account_signed_in_there(routes, coordinator, other_coordinator):
    """A shared office computer: both colleagues keep signing in there when their accounts are
    under attack from elsewhere."""
    office = routes.test_client()
    for user in (coordinator, other_coordinator):
        assert outcome(sign_in(office, user.email, user.password, OWNER)) == (200, "angemeldet")
    for user in (coordinator, other_coordinator):
        spend_the_ceiling(routes, user)
        assert outcome(sign_in(office, user.email, user.password, OWNER)) == (200, "angemeldet"), user.email


def test_a_browser_is_remembered_for_180_days_and_no_longer(routes, coordinator, monkeypatch):
    browsers = {}
    for name, age in (("recent", 180 * DAY - 60), ("old", 180 * DAY + 60)):
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self, age=age: int(time.time()) - age)
        browsers[name] = routes.test_client()
        assert outcome(sign_in(browsers[name], coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")
        monkeypatch.undo()
    spend_the_ceiling(routes, coordinator)
    assert outcome(sign_in(browsers["recent"], coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")
    assert refused(sign_in(browsers["old"], coordinator.email, coordinator.password, OWNER))


def test_a_browser_remembered_by_an_earlier_release_is_still_known(routes, coordinator):
    """The device cookie lives 180 days, across updates: its signature (secret key and purpose)
    stays what it was when the browser was remembered."""
    spend_the_ceiling(routes, coordinator)
    browser = routes.test_client()
    earlier = URLSafeTimedSerializer(routes.config["SECRET_KEY"], salt="wirlearn.sign-in-device").dumps([coordinator.id])
    browser.set_cookie("wirlearn_device", earlier)
    assert outcome(sign_in(browser, coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")


def device_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if "device" in value]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_the_device_cookie_is_a_host_cookie_over_https_and_a_plain_one_over_http(routes, coordinator):
    """Browsers keep a __Host- cookie only when it is Secure, for the path /, without a domain;
    over plain HTTP (development) the cookie needs a name without that prefix."""
    plain = device_cookie(sign_in(routes.test_client(), coordinator.email, coordinator.password, OWNER))
    assert plain.startswith("wirlearn_device=") and "Secure" not in plain
    routes.config["SESSION_COOKIE_SECURE"] = True
    browser = routes.test_client()
    here = "https://wirlearn.test"
    secure = device_cookie(sign_in(browser, coordinator.email, coordinator.password, OWNER, base_url=here))
    assert secure.startswith("__Host-wirlearn-device=")
    assert "Secure" in secure and "Path=/" in secure and "Domain" not in secure
    # … and it is read back under that name: the owner's browser passes the ceiling.
    spend_the_ceiling(routes, coordinator)
    assert outcome(sign_in(browser, coordinator.email, coordinator.password, OWNER, base_url=here)) == (200, "angemeldet")


def test_the_second_step_counts_for_the_sessions_pending_user_not_a_form_field(routes, trainer):
    attacker = half_signed_in(routes, trainer)
    for number in range(ACCOUNT_ADDRESS_LIMIT):
        assert outcome(confirm(attacker, email=f"other{number}@example.org")) == (200, "falsch")
    assert refused(confirm(attacker, CODE, email="fresh@example.org"))
    # The account's budget at this address is spent for the password step too.
    assert refused(sign_in(routes.test_client(), trainer.email, trainer.password))


def test_the_password_step_and_the_second_step_share_one_budget(routes, trainer):
    attacker = routes.test_client()
    assert outcome(sign_in(attacker, trainer.email)) == (200, "falsch")
    attacker = half_signed_in(routes, trainer)
    assert outcome(confirm(attacker)) == (200, "falsch")
    assert outcome(confirm(attacker)) == (200, "falsch")
    assert refused(confirm(attacker, CODE))


def test_second_step_guesses_spread_over_addresses_hit_the_account_ceiling(routes, trainer):
    attacker = half_signed_in(routes, trainer)
    for number in range(ACCOUNT_LIMIT):
        assert outcome(confirm(attacker, address=f"192.0.2.{number}")) == (200, "falsch")
    assert refused(confirm(attacker, CODE, address="192.0.2.200"))


def test_the_second_step_form_still_opens_and_without_a_pending_user_only_the_address_counts(routes, coordinator):
    client = routes.test_client()
    for number in range(ADDRESS_LIMIT):
        assert outcome(confirm(client)) == (200, "falsch"), number
    assert refused(confirm(client, CODE))
    assert outcome(client.get("/t/bestaetigen", environ_base={"REMOTE_ADDR": STRANGER})) == (200, "Codeformular")
    # Nobody's account budget was touched.
    assert outcome(sign_in(routes.test_client(), coordinator.email, coordinator.password, OWNER)) == (200, "angemeldet")


def ask_for_reset(client, email, path="/t/passwort-vergessen", **kwargs):
    return client.post(path, environ_base={"REMOTE_ADDR": STRANGER}, **({"data": {"email": email}} | kwargs))


API = "/t/api/password-reset"


def test_password_reset_requests_are_limited_per_address_asked_for_and_per_client(routes, coordinator):
    """The form and the API count for the same budgets."""
    client = routes.test_client()
    form = {"environ_base": {"REMOTE_ADDR": STRANGER}}
    for _ in range(3):  # opening the form counts for nothing
        assert outcome(client.get("/t/passwort-vergessen", **form)) == (200, "Formular")
    # Every request counts, however the address is spelled and whether or not it has an account.
    assert outcome(ask_for_reset(client, coordinator.email)) == (200, "angefordert")
    assert outcome(ask_for_reset(client, None, API, data=None, json={"email": coordinator.email.upper()})) == (200, "angefordert")
    assert refused(ask_for_reset(client, f" {coordinator.email} "))
    assert outcome(ask_for_reset(client, "x@example.org", API)) == (200, "angefordert")
    assert outcome(ask_for_reset(client, "x@example.org")) == (200, "angefordert")
    assert refused(ask_for_reset(client, "x@example.org", API))
    # Per client: five requests an hour, whatever the address.
    assert outcome(ask_for_reset(client, "y@example.org", API)) == (200, "angefordert")
    assert refused(ask_for_reset(client, "z@example.org"))
    assert outcome(client.get("/t/passwort-vergessen", **form)) == (200, "Formular")
    # Another client is not affected.
    other = client.post("/t/passwort-vergessen", data={"email": "z@example.org"}, environ_base={"REMOTE_ADDR": OWNER})
    assert outcome(other) == (200, "angefordert")
