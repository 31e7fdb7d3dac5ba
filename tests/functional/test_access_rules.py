"""Every route declares who may call it; routes without a rule are refused."""

from flask import Blueprint

from wirlearn.core.access import rule_for

# Routes anyone may open without signing in. Adding to this list is a security decision.
PUBLIC_ENDPOINTS = {
    "static",
    "core.home",
    "core.set_language",
    "core.privacy",
    "core.imprint",
    "core.accessibility",
    "core.easy_language",
    "core.health",
    # The address a self check-in QR code carries: only checks the rotating code, then leads
    # to the sign-in.
    "checkin.scan",
    # The offline roll call's service worker script and the page it shows without a network.
    "offline.service_worker",
    "offline.fallback",
    "auth.login",
    "auth.second_factor",  # between password and code: not signed in yet
    "auth.set_password",
    # Asking for a password link: the same answer for every address, rate-limited.
    "auth.forgot_password",
    "api_password_reset.password_reset",
    # A person's calendar feed: the secret token in the URL is the credential (404 otherwise).
    "mail.calendar_feed",
    "api_token.token",
    "api-docs.openapi_json",
    # Certificate verification: what a QR code on paper opens, for anyone (no login).
    "verify.certificate",
    "verify.lookup",
    "verify.jwks",
    "api_verify.verify",
    # What the ids inside a credential resolve to (Open Badges 3.0: every id dereferenceable).
    "verify.ob_key",
    "verify.ob_issuer",
    "verify.ob_achievement",
    "verify.ob_image",
    "status.status_list",
    # LTI 1.3: what learning platforms call (login initiation, the launch form post, dynamic
    # registration, the tool's public keys) and the one-time hand-over of a checked launch.
    "lti.login",
    "lti.launch",
    "lti.jwks",
    "lti.dynamic_registration",
    "lti.handoff",
    "lti.create_account",
}


def all_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            yield rule, method


def test_every_route_declares_an_access_rule(app):
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method in all_routes(app)
        if rule_for(app, rule.endpoint, method) is None
    ]
    assert missing == []


def test_only_the_listed_routes_are_public(app):
    public = {rule.endpoint for rule, method in all_routes(app) if rule_for(app, rule.endpoint, method).public}
    assert public == PUBLIC_ENDPOINTS


def test_route_without_rule_is_refused(app, client, login, admin):
    """Fail closed: a view someone forgot to annotate answers 403 even to an admin."""
    extra = Blueprint("forgotten", __name__)

    @extra.get("/vergessen")
    def forgotten():
        return "secret"

    app.register_blueprint(extra)
    assert client.get("/vergessen").status_code == 403
    login(client, admin)
    assert client.get("/vergessen").status_code == 403


def test_admin_pages_refuse_other_roles(app, client, login, trainer, coordinator):
    for user in (trainer, coordinator):
        login(client, user)
        for path in ("/verwaltung/reihen", "/verwaltung/nutzer/", "/verwaltung/regionen"):
            assert client.get(path).status_code == 403, (user.email, path)
        client.post("/abmelden")


def test_signed_in_pages_redirect_anonymous_visitors_to_login(client):
    response = client.get("/verwaltung/reihen")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden?next=")
