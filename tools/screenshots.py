"""Screenshots for the documentation, taken from the demo programme in a real browser.

    .venv/bin/python tools/screenshots.py            # writes docs/img/*.png

Seeds a throwaway SQLite database, serves the app on a free loopback port and drives Debian's
Chromium. Pages that do not exist (yet) are skipped with a note.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

OUT = ROOT / "docs" / "img"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# (file name, login e-mail or None, path, viewport)
SHOTS = [
    ("login", None, "/anmelden", (1280, 800)),
    ("overview", "admin@wir-hessen.example", "/", (1366, 900)),
    ("series", "admin@wir-hessen.example", "/verwaltung/reihen/1", (1280, 900)),
    ("trainer-start", "trainer@imap.example", "/", (820, 1180)),
    ("dashboard-phone", "ayse.yilmaz@darmstadt.example", "/", (390, 844)),
    ("roster-tablet", "trainer@imap.example", "/termine/1/anwesenheit", (820, 1180)),
    ("verify-phone", None, "{verify_path}", (390, 844)),
    ("outbox", "admin@wir-hessen.example", "/verwaltung/postausgang", (1366, 900)),
    ("mail-settings-phone", "ayse.yilmaz@darmstadt.example", "/konto/benachrichtigungen", (390, 844)),
    ("lti-admin", "admin@wir-hessen.example", "/verwaltung/lti", (1366, 900)),
]


def build_app(folder: Path):
    """The demo programme with one certificate issued (for the verification page)."""
    from flask_migrate import upgrade

    from wirlearn import create_app
    from wirlearn.certificates import batch
    from wirlearn.certificates.services import issue_certificate
    from wirlearn.demo.seed import seed_demo
    from wirlearn.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'docs.sqlite3'}", RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        first = batch.candidates(1)[0]
        issued = issue_certificate(first.enrollment_id)
        db.session.commit()
        app.config["DOCS_VERIFY_PATH"] = f"/v/{issued.code}"
    return app


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, email, path, (width, height) in SHOTS:
                context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height}, device_scale_factor=1)
                page = context.new_page()
                if email:
                    page.goto(f"{base}/anmelden")
                    page.get_by_label("E-Mail-Adresse").fill(email)
                    page.get_by_label("Passwort").fill("wirlearn-demo")
                    page.get_by_role("button", name="Anmelden").click()
                    page.wait_for_load_state()
                response = page.goto(base + path.format(verify_path=app.config["DOCS_VERIFY_PATH"]))
                if response is None or response.status >= 400:
                    print(f"skipped {name}: {path} answered {response.status if response else '-'}")
                else:
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                    print(f"wrote docs/img/{name}.png")
                context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
