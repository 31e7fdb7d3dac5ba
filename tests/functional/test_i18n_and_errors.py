import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_german_is_the_default(client):
    page = client.get("/anmelden").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmelden" in page


def test_accept_language_english_is_honoured(client):
    page = client.get("/anmelden", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page


def test_language_switch_in_the_page(client):
    response = client.post("/sprache", data={"lang": "en", "next": "/anmelden"})
    assert response.headers["Location"] == "/anmelden"
    assert "Sign in" in client.get("/anmelden").get_data(as_text=True)
    client.post("/sprache", data={"lang": "de", "next": "https://evil.example"})
    assert "Anmelden" in client.get("/anmelden").get_data(as_text=True)
    assert client.post("/sprache", data={"lang": "xx"}).status_code == 400


def test_english_translation_is_complete():
    result = subprocess.run([sys.executable, "tools/i18n.py", "check"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dates_are_german(app):
    from datetime import date

    from wirlearn.core.formatting import fmt_date

    with app.test_request_context("/"):
        assert fmt_date(date(2026, 11, 25)) == "25.11.2026"


def test_404_page_is_german_with_headers(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Seite nicht gefunden" in text
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_errors_are_problem_json(client):
    response = client.get("/api/v1/gibt-es-nicht")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_500_page_writes_nothing_and_is_german(app, client):
    @app.get("/kaputt")
    def broken():
        raise RuntimeError("boom")

    broken.access_rule = __import__("wirlearn.core.access", fromlist=["AccessRule"]).AccessRule(public=True)
    response = client.get("/kaputt")
    assert response.status_code == 500
    assert "Interner Fehler" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


FRESH_INSTALL_APP = """
import sys
from wirlearn import create_app
app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1])
page = app.test_client().get("/anmelden", headers={"Accept-Language": "en"}).get_data(as_text=True)
print("ENGLISH" if "Sign in" in page else "GERMAN")
"""


def test_a_fresh_checkout_speaks_english_without_running_make(tmp_path, database_url):
    """docs/betrieb.md installs with pip and starts gunicorn; no make, no tools/i18n.py. The
    compiled catalogs are not in the repository, so the app compiles them at start."""
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive, check=True)
    # The working tree's sources over HEAD's, so the test checks this change before its commit too.
    for path in ("wirlearn", "config.py", "templates"):
        subprocess.run(["cp", "-r", str(ROOT / path), str(tmp_path)], check=True)
    for mo_file in tmp_path.glob("wirlearn/*/translations/*/LC_MESSAGES/messages.mo"):
        mo_file.unlink()
    result = subprocess.run(
        [sys.executable, "-c", FRESH_INSTALL_APP, database_url], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "ENGLISH"
    assert list(tmp_path.glob("wirlearn/*/translations/en/LC_MESSAGES/messages.mo"))
