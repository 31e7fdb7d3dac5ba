"""Who may call a route, by what each declaration promises a visitor.

Each test declares small routes on a fresh app with the decorators from wirlearn.core.access
(the way every feature declares its views) and asks them as an anonymous visitor, as users of
each role, through the browser session and with a bearer token."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from tests.support import bearer
from wirlearn.audit.models import AuditEvent
from wirlearn.core.access import AccessRule, api_roles, public, roles_required, rule_for, signed_in
from wirlearn.extensions import db


def ok():
    return "ok"


def declare(app, path: str, decorator, methods=("GET",)):
    app.add_url_rule(path, endpoint=path.strip("/"), view_func=decorator(lambda: ok()), methods=list(methods))


def test_a_public_route_answers_anyone_without_signing_in(app, client):
    declare(app, "/t-public", public)
    response = client.get("/t-public")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    assert rule_for(app, "t-public", "GET") == AccessRule(public=True)


def test_a_signed_in_route_sends_visitors_to_sign_in_and_lets_any_role_in(app, client, login, coordinator):
    declare(app, "/t-signed-in", signed_in)
    response = client.get("/t-signed-in")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=")
    login(client, coordinator)
    assert client.get("/t-signed-in").status_code == 200


def test_a_role_route_lets_in_exactly_the_named_roles(app, login, admin, trainer, coordinator):
    declare(app, "/t-admin", roles_required("admin"))
    declare(app, "/t-staff", roles_required("admin", "trainer"))
    expected = {admin: (200, 200), trainer: (403, 200), coordinator: (403, 403)}
    for user, (admin_page, staff_page) in expected.items():
        client = app.test_client()
        assert client.get("/t-admin").status_code == 302  # not signed in yet
        login(client, user)
        assert (client.get("/t-admin").status_code, client.get("/t-staff").status_code) == (admin_page, staff_page), user.email


def test_a_refused_role_is_written_to_the_audit_log_with_who_and_where(app, client, login, trainer):
    declare(app, "/t-admin", roles_required("admin"))
    login(client, trainer)
    assert client.get("/t-admin").status_code == 403
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused")).one()
        assert (event.actor_id, event.entity_id, event.after) == (trainer.id, "t-admin", {"method": "GET", "path": "/t-admin"})


def test_an_api_route_needs_a_token_or_a_session_for_reading_and_the_role(app, client, login, admin, trainer):
    declare(app, "/api/v1/t-api", api_roles("admin"), methods=("GET", "POST"))
    declare(app, "/api/v1/t-api-any", api_roles(), methods=("GET",))
    anonymous = client.get("/api/v1/t-api")
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"
    assert client.get("/api/v1/t-api", headers=bearer(client, admin)).status_code == 200
    assert client.post("/api/v1/t-api", headers=bearer(client, admin)).status_code == 200
    assert client.get("/api/v1/t-api", headers=bearer(client, trainer)).status_code == 403
    assert client.get("/api/v1/t-api-any", headers=bearer(client, trainer)).status_code == 200
    # The browser session is enough for reading, never for writing.
    login(client, admin)
    assert client.get("/api/v1/t-api").status_code == 200
    assert client.post("/api/v1/t-api").status_code == 401
    assert rule_for(app, "api/v1/t-api", "GET") == AccessRule(roles=frozenset({"admin"}), api=True)


def test_answers_behind_a_bearer_token_are_never_stored_by_caches(app, client, admin):
    declare(app, "/api/v1/t-api", api_roles("admin"))
    declare(app, "/t-public", public)
    response = client.get("/api/v1/t-api", headers=bearer(client, admin))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/t-public").headers.get("Cache-Control", "")


class Board(MethodView):
    """A class-based view: reading is public, writing is for admins, DELETE declares nothing."""

    @public
    def get(self):
        return "board"

    @roles_required("admin")
    def post(self):
        return "posted"

    def delete(self):
        return "deleted"


class Panel(MethodView):
    """A class-based view with one rule for every method."""

    access_rule = AccessRule(roles=frozenset({"trainer"}))

    def get(self):
        return "panel"


def test_class_based_views_are_checked_per_method(app, client, login, admin, trainer):
    app.add_url_rule("/t-board", view_func=Board.as_view("t-board"))
    app.add_url_rule("/t-panel", view_func=Panel.as_view("t-panel"))
    assert client.get("/t-board").get_data(as_text=True) == "board"
    assert client.head("/t-board").status_code == 200  # HEAD follows GET's rule
    assert client.post("/t-board").status_code == 401  # a form sent without a session: refused, not redirected
    assert client.get("/t-panel").status_code == 302
    login(client, trainer)
    assert client.post("/t-board").status_code == 403
    assert client.get("/t-panel").get_data(as_text=True) == "panel"
    client.post("/abmelden")
    login(client, admin)
    assert client.post("/t-board").get_data(as_text=True) == "posted"
    assert client.delete("/t-board").status_code == 403  # no rule: refused even for an admin
    assert client.get("/t-panel").status_code == 403
    assert rule_for(app, "t-board", "PUT") is None
    assert rule_for(app, "no-such-endpoint", "GET") is None


def test_the_built_in_static_route_is_public_and_nothing_else_is_by_default(app, client):
    assert rule_for(app, "static", "GET") == AccessRule(public=True)
    assert client.get("/no-such-page").status_code == 404


def test_a_rule_on_the_registered_view_applies_to_every_method(app, client, login, trainer):
    app.add_url_rule("/t-board-admin", view_func=roles_required("admin")(Board.as_view("t-board-admin")))
    assert client.get("/t-board-admin").status_code == 302  # the public get of the class does not count
    login(client, trainer)
    assert client.get("/t-board-admin").status_code == 403


def test_a_route_without_rule_is_logged_by_name_for_the_operator(app, client, caplog):
    app.add_url_rule("/t-forgotten", endpoint="t-forgotten", view_func=lambda: "secret")
    with caplog.at_level("ERROR"):
        assert client.get("/t-forgotten").status_code == 403
    assert "route t-forgotten declares no access rule; refused" in caplog.messages
