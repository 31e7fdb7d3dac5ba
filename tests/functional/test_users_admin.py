from sqlalchemy import func, select

from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.extensions import db


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_coordinator_and_gets_password_link(app, client, login, admin, factory):
    region_id = factory.region_id("Wiesbaden")
    login(client, admin)
    response = client.post(
        "/verwaltung/nutzer/neu",
        data={"email": "Neu@Example.org", "display_name": "Zeynep Aydın", "roles": ["coordinator"], "region_id": str(region_id)},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        assert user.display_name == "Zeynep Aydın"
        assert user.roles == {"coordinator"}
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.created")) == 1
    page = client.post(response.headers["Location"])
    assert "/passwort-setzen/" in page.get_data(as_text=True)


def test_invalid_user_form_writes_nothing_and_explains_in_german(app, client, login, admin):
    login(client, admin)
    before = count_users(app)
    cases = [
        ({"email": "", "display_name": "X", "roles": ["trainer"], "region_id": ""}, "Bitte geben Sie eine E-Mail-Adresse ein."),
        (
            {"email": "kein-at-zeichen", "display_name": "X", "roles": ["trainer"], "region_id": ""},
            "keine gültige E-Mail-Adresse",
        ),
        ({"email": "a@example.org", "display_name": "X", "roles": [], "region_id": ""}, "mindestens eine Rolle"),
        ({"email": "a@example.org", "display_name": "X", "roles": ["coordinator"], "region_id": ""}, "Gebietskörperschaft"),
        ({"email": admin.email, "display_name": "X", "roles": ["trainer"], "region_id": ""}, "bereits vergeben"),
        ({"email": "a@example.org", "display_name": "X", "roles": ["superuser"], "region_id": ""}, "Ungültige Auswahl"),
    ]
    for data, message in cases:
        response = client.post("/verwaltung/nutzer/neu", data=data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), (data, message)
    assert count_users(app) == before


def test_deactivation_ends_sessions_and_blocks_login(app, client, login, admin, coordinator):
    victim_browser = app.test_client()
    login(victim_browser, coordinator)
    login(client, admin)
    assert client.post(f"/verwaltung/nutzer/{coordinator.id}/deaktivieren").status_code == 302
    assert victim_browser.get("/start").status_code == 302


def test_admin_cannot_deactivate_or_demote_themself(app, client, login, admin):
    login(client, admin)
    client.post(f"/verwaltung/nutzer/{admin.id}/deaktivieren", follow_redirects=True)
    response = client.post(
        f"/verwaltung/nutzer/{admin.id}",
        data={"email": admin.email, "display_name": admin.display_name, "roles": ["trainer"], "region_id": ""},
    )
    assert "nicht selbst entziehen" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, admin.id)
        assert user.active and user.roles == {"admin"}


def test_import_coordinators_all_or_nothing(app, client, login, admin, factory):
    factory.region_id()
    login(client, admin)
    from io import BytesIO

    bad = "email;name;region\nok@example.org;Olga Schmidt;Kassel\nkaputt;Name;Kassel\nx@example.org;;Atlantis\n"
    response = client.post(
        "/verwaltung/nutzer/import", data={"file": (BytesIO(bad.encode()), "liste.csv")}, content_type="multipart/form-data"
    )
    text = response.get_data(as_text=True)
    assert "Zeile 3" in text and "Zeile 4" in text and "Atlantis" in text
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "ok@example.org")) is None
    good = "\ufeffemail,name,region\nok@example.org,Olga Schmidt,Kassel\nneu@example.org,Hamid Karimi,06411\n"
    response = client.post(
        "/verwaltung/nutzer/import", data={"file": (BytesIO(good.encode()), "liste.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    with app.app_context():
        hamid = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        assert hamid.region.name == "Darmstadt"


def test_cli_import_reports_line_numbers(app, runner, factory, tmp_path):
    factory.region_id()
    path = tmp_path / "k.csv"
    path.write_text("email,name,region\na@example.org,Anna,Kassel\na@example.org,Anna B,Kassel\n", encoding="utf-8")
    result = runner.invoke(args=["import-coordinators", str(path)])
    assert result.exit_code == 1
    assert "Zeile 3" in result.output
    assert count_users(app) == 0


def test_cli_create_user(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "T@Example.org",
            "--name",
            "Tom",
            "--role",
            "trainer",
            "--password",
            "ein sehr gutes passwort",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "t@example.org")).roles == {"trainer"}
    result = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X", "--role", "trainer", "--password", "kurz"]
    )
    assert result.exit_code != 0 and "mindestens 12 Zeichen" in result.output


# --- look-alike addresses -----------------------------------------------------------------------

CYRILLIC_A = "\u0430"  # looks exactly like a Latin "a"


def create(client, email, name="Neue Person"):
    return client.post("/verwaltung/nutzer/neu", data={"email": email, "display_name": name, "roles": ["trainer"]})


def test_compatibility_characters_and_case_are_one_address(app, client, login, admin, trainer):
    login(client, admin)
    before = count_users(app)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "TRAINER") + "@example.org"  # ＴＲＡＩＮＥＲ@example.org
    for variant in (full_width, "Trainer@Example.org", " trainer@example.org "):
        response = create(client, variant)
        assert response.status_code == 200
        assert "bereits vergeben" in response.get_data(as_text=True)
    assert count_users(app) == before
    # The ligature ﬁ and full-width letters are stored in their plain form.
    assert create(client, "\ufb01sch@example.org").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "fisch@example.org")) is not None
    # And signing in works with whichever form the person types.
    browser = app.test_client()
    response = browser.post("/anmelden", data={"email": full_width, "password": trainer.password})
    assert response.status_code == 302 and "/anmelden" not in response.headers["Location"]


def test_mixed_script_lookalike_of_an_existing_address_is_refused(app, client, login, admin, trainer):
    login(client, admin)
    before = count_users(app)
    lookalike = "tr" + CYRILLIC_A + "iner@example.org"
    response = create(client, lookalike)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "sieht aus wie die schon vergebene Adresse trainer@example.org" in page
    assert count_users(app) == before
    # A name in one script that imitates nobody is fine.
    assert create(client, "γιάννης@example.gr").status_code == 302


def test_latin_address_imitated_by_an_existing_mixed_one_is_refused(app, client, login, admin, factory):
    factory.user("trainer", email="m" + CYRILLIC_A + "x@example.org", name="Max Alt")
    login(client, admin)
    response = create(client, "max@example.org")
    assert response.status_code == 200
    assert "sieht aus wie" in response.get_data(as_text=True)


def test_import_reports_a_lookalike_line_and_creates_nothing(app, client, login, admin, coordinator, factory):
    from io import BytesIO

    factory.region_id()
    login(client, admin)
    before = count_users(app)
    lookalike = coordinator.email.replace("a", CYRILLIC_A, 1)
    text = f"email;name;region\nok@example.org;Olga Schmidt;Kassel\n{lookalike};Fake;Kassel\n"
    response = client.post(
        "/verwaltung/nutzer/import", data={"file": (BytesIO(text.encode()), "liste.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "Zeile 3" in response.get_data(as_text=True) and "sieht aus wie" in response.get_data(as_text=True)
    assert count_users(app) == before
