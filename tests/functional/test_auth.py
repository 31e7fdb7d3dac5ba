from sqlalchemy import select

from tests.conftest import do_login
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.auth.services import make_password_token
from wirlearn.extensions import db


def test_login_lands_each_role_on_its_start_page(client, login, admin, trainer, coordinator):
    login(client, admin)
    assert client.get("/").headers["Location"] == "/programm"  # the programme overview (wirlearn/progress)


def test_wrong_password_is_refused_in_german_and_audited(app, client, coordinator):
    response = do_login(client, coordinator, "falsches-passwort-123", follow=True)
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)
    assert client.get("/verwaltung/reihen").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        event = db.session.scalars(select(AuditEvent)).one()
    assert actions == ["auth.login_failed"]
    assert "falsches" not in str(event.after)


def test_unknown_email_gets_the_same_message(client):
    response = client.post(
        "/anmelden", data={"email": "niemand@example.org", "password": "egal-egal-egal"}, follow_redirects=True
    )
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)


def test_deactivated_user_cannot_sign_in(factory, client):
    user = factory.user("coordinator", active=False)
    assert do_login(client, user).status_code == 200


def test_next_parameter_only_to_local_pages(client, admin):
    response = client.post("/anmelden?next=/verwaltung/regionen", data={"email": admin.email, "password": admin.password})
    assert response.headers["Location"] == "/verwaltung/regionen"
    client.post("/abmelden")
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/anmelden", data={"email": admin.email, "password": admin.password, "next": hostile})
        assert response.headers["Location"] == "/", hostile
        client.post("/abmelden")


def test_logout_ends_the_session_and_old_cookie_no_longer_works(app, admin, login):
    browser = app.test_client()
    login(browser, admin)
    stolen = browser.get_cookie("wirlearn_session").value
    browser.post("/abmelden")
    replay = app.test_client()
    replay.set_cookie("wirlearn_session", stolen)
    assert replay.get("/verwaltung/reihen").status_code == 302


def test_password_link_sets_password_once(app, client, factory):
    user = factory.user("coordinator", password=None)
    with app.app_context():
        token = make_password_token(db.session.get(User, user.id))
    page = client.get(f"/passwort-setzen/{token}")
    assert page.status_code == 200
    weak = client.post(f"/passwort-setzen/{token}", data={"password": "kurz", "confirm": "kurz"})
    assert "mindestens 12 Zeichen" in weak.get_data(as_text=True)
    common = client.post(f"/passwort-setzen/{token}", data={"password": "password1234", "confirm": "password1234"})
    assert "zu verbreitet" in common.get_data(as_text=True)
    mismatch = client.post(
        f"/passwort-setzen/{token}", data={"password": "ein langes passwort", "confirm": "ein anderes passwort"}
    )
    assert "stimmen nicht überein" in mismatch.get_data(as_text=True)
    ok = client.post(f"/passwort-setzen/{token}", data={"password": "ein langes passwort", "confirm": "ein langes passwort"})
    assert ok.status_code == 302
    assert do_login(client, user, "ein langes passwort").status_code == 302
    again = client.get(f"/passwort-setzen/{token}")
    assert again.status_code == 410
    assert "bereits verwendet" in again.get_data(as_text=True)


def test_tampered_password_link_is_invalid(client):
    assert client.get("/passwort-setzen/abc.def.ghi").status_code == 404


def test_change_password_needs_the_current_one_and_ends_sessions(app, client, login, coordinator):
    login(client, coordinator)
    other_device = app.test_client()
    login(other_device, coordinator)
    wrong = client.post(
        "/konto/passwort",
        data={"current": "nicht-das-richtige", "password": "ganz neues passwort", "confirm": "ganz neues passwort"},
    )
    assert "nicht richtig" in wrong.get_data(as_text=True)
    ok = client.post(
        "/konto/passwort",
        data={"current": coordinator.password, "password": "ganz neues passwort", "confirm": "ganz neues passwort"},
    )
    assert ok.status_code == 302
    assert other_device.get("/start").status_code == 302  # signed out everywhere
    assert do_login(client, coordinator, "ganz neues passwort").status_code == 302


def test_passwords_are_stored_as_argon2id(app, coordinator):
    with app.app_context():
        stored = db.session.get(User, coordinator.id).password_hash
    assert stored.startswith("$argon2id$")
