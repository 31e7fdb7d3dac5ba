"""Hostile input is inert everywhere: script tags, quotes, ``javascript:`` URLs, right-to-left
overrides and 10,000 characters in names, titles and notes — on every page, in PDFs and in
exports (formula injection neutralised); over-long input gets a German message and writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from tests.certificate_support import app_settings, signing_key_dir  # noqa: F401 - fixtures
from tests.functional.test_access_matrix import sample_values
from tests.routes import all_routes, build_url, changed_tables, snapshot
from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Series

SCRIPT = '<script>alert("xss")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
QUOTES = 'O\'Brien "Zitat" `tick`'
JS_URL = "javascript:alert(document.cookie)"
RTL = "Ay\u202eeşY"  # right-to-left override inside a name
FORMULA = '=HYPERLINK("http://evil.example","klick")'
HOSTILE_NAME = f"{SCRIPT}{QUOTES}{RTL}"[:200]
LONG = "A" * 10_000


@pytest.fixture
def hostile(app, programme, coordinator, trainer):
    """Put hostile text into every free-text field the programme fixture has."""
    main = programme["main"]
    with app.app_context():
        user = db.session.get(User, coordinator.id)
        user.display_name = HOSTILE_NAME
        db.session.get(User, trainer.id).display_name = f"{ATTRIBUTE}{JS_URL}"[:200]
        series = db.session.get(Series, main.id)
        series.title = f"{SCRIPT}{RTL}"
        series.description = f"{JS_URL} {ATTRIBUTE} {LONG}"
        series.place = FORMULA[:120]
        module = db.session.get(Module, main.module_ids[0])
        module.title = f"{ATTRIBUTE}{FORMULA}"[:200]
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == coordinator.id))
        db.session.add(
            Attendance(
                session_id=main.session_ids[0], enrollment_id=enrollment.id, status="present", note=f"{FORMULA} {SCRIPT} {RTL}"
            )
        )
        db.session.add(
            Assessment(
                module_id=main.module_ids[0],
                enrollment_id=enrollment.id,
                result="passed",
                feedback=f"{SCRIPT} {LONG}",
                assessed_on=date.today(),
                recorded_by_id=trainer.id,
            )
        )
        db.session.commit()
    return main


def assert_inert(page: str, where: str) -> None:
    assert "<script>alert" not in page, f"{where}: script tag rendered"
    assert "<img src=x" not in page, f"{where}: attribute breakout"
    assert 'href="javascript:' not in page.lower() and 'src="javascript:' not in page.lower(), f"{where}: javascript: URL"
    depth = 0
    for character in page:
        if character == "\u2068":
            depth += 1
        elif character == "\u2069":
            depth = max(0, depth - 1)
        elif character == "\u202e":
            assert depth > 0, f"{where}: right-to-left override outside an isolate"


@pytest.mark.parametrize("who", ["admin", "trainer", "coordinator"])
def test_every_page_shows_hostile_text_as_text(app, login, hostile, programme, coordinator, who, request):
    client = app.test_client()
    login(client, request.getfixturevalue(who))
    values = sample_values(app, programme, coordinator)
    seen_payload = False
    for rule, method in all_routes(app):
        if method != "GET" or rule.endpoint == "static":
            continue
        response = client.get(build_url(app, rule, values))
        where = f"{who} {rule.rule}"
        assert response.status_code < 500, where
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            assert_inert(page, where)
            seen_payload = seen_payload or "&lt;script&gt;alert" in page
        response.close()
    if who != "coordinator":
        assert seen_payload, "no page showed the hostile names at all"


def test_exports_neutralise_formulas_and_keep_text(app, login, hostile, admin):
    client = app.test_client()
    login(client, admin)
    response = client.get(f"/training/reihen/{hostile.id}/anwesenheit.csv")
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), "a cell would run as a formula"
    assert any(SCRIPT in cell for cell in cells)  # kept as text, not stripped
    xlsx = client.get(f"/training/reihen/{hostile.id}/anwesenheit.xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not any(value.startswith("=") for value in values)
    results = client.get(f"/training/reihen/{hostile.id}/bewertungen.csv")
    assert results.status_code == 200
    assert not any(
        cell.startswith(("=", "+", "@"))
        for row in csv.reader(io.StringIO(results.get_data().decode("utf-8-sig")), delimiter=";")
        for cell in row
    )


def test_pdf_with_hostile_names_renders(app, login, hostile, trainer):
    client = app.test_client()
    login(client, trainer)
    response = client.get(f"/termine/{hostile.session_ids[0]}/teilnahmeliste.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/verwaltung/nutzer/neu", {"email": "lang@example.org", "display_name": LONG, "roles": ["trainer"], "region_id": ""}),
        (
            "/verwaltung/nutzer/neu",
            {"email": f"{LONG}@example.org", "display_name": "Lang", "roles": ["trainer"], "region_id": ""},
        ),
        ("/verwaltung/reihen/neu", {"title": LONG, "provider": "x", "certificate_title": "x", "issuer_name": "x"}),
        ("/anmelden", {"email": LONG, "password": LONG}),
    ],
)
def test_ten_thousand_characters_get_a_german_message_and_write_nothing(app, login, admin, path, form):
    client = app.test_client()
    if path != "/anmelden":
        login(client, admin)
    before = snapshot(app, skip=("audit_events",))
    response = client.post(path, data=form)
    assert response.status_code == 200, response.status_code  # the form again, with the message
    page = response.get_data(as_text=True)
    assert "Höchstens" in page or "Bitte" in page or "falsch" in page
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_long_note_on_the_roster_is_refused_with_a_message(app, login, programme, trainer, coordinator):
    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    before = snapshot(app, skip=("audit_events",))
    response = client.post(
        f"/termine/{session_id}/anwesenheit",
        data={
            "version": "0",
            "submission_key": "lang",
            "action": "save",
            f"status-{coordinator.id}": "excused",
            f"note-{coordinator.id}": LONG,
            f"orig-status-{coordinator.id}": "",
            f"orig-note-{coordinator.id}": "",
        },
    )
    assert response.status_code == 422
    assert "Zeichen" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


def test_hostile_csv_import_is_refused_line_by_line(app, login, admin):
    client = app.test_client()
    login(client, admin)
    content = f"email;name;region\n{JS_URL}@x;{SCRIPT};Kassel\nok@example.org;{LONG};Kassel\n"
    before = snapshot(app, skip=("audit_events",))
    response = client.post(
        "/verwaltung/nutzer/import",
        data={"file": (io.BytesIO(content.encode()), "liste.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nichts importiert" in page and "Zeile 2" in page and "Zeile 3" in page
    assert_inert(page, "import")
    assert changed_tables(before, snapshot(app, skip=("audit_events",))) == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/anmelden", {"data": {"email": "a\x00@example.org", "password": "x"}}),
        ("POST", "/api/v1/token", {"json": {"email": "a\x00@example.org", "password": "x"}}),
        ("GET", "/verwaltung/nutzer/?q=%00", {}),
    ],
)
def test_nul_characters_are_refused_up_front(client, method, path, kwargs):
    """PostgreSQL cannot store NUL; it is refused before any query instead of failing in one."""
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == 400
