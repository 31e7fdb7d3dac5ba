"""Screenshots for the documentation, taken from the demo programme in a real browser.

    .venv/bin/python tools/screenshots.py            # writes docs/img/*.png
    .venv/bin/python tools/screenshots.py certificate-design certificate-pdf   # only these

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
    ("audit-phone", "admin@wir-hessen.example", "/verwaltung/protokoll?reihe=1#eintraege", (390, 844)),
    ("certificates-phone", "admin@wir-hessen.example", "/verwaltung/reihen/1/zertifikate#ausstellen", (390, 844)),
    ("certificates-confirm", "admin@wir-hessen.example", "/verwaltung/reihen/1/zertifikate/alle", (1280, 900)),
    ("overview-phone", "admin@wir-hessen.example", "/programm/reihen/1#teilnehmende", (390, 844)),
    ("overview-wide", "admin@wir-hessen.example", "/programm/reihen/1#teilnehmende", (1366, 900)),
    ("dashboard-certified-phone", "{holder}", "/", (390, 844)),
    ("accessibility", None, "/barrierefreiheit", (1280, 900)),
    ("certificate-design", "admin@wir-hessen.example", "/verwaltung/reihen/1/zertifikate/gestaltung", (1366, 900)),
    ("lti-admin", "admin@wir-hessen.example", "/verwaltung/lti", (1366, 900)),
]
PDF_SHOTS = ["certificate-pdf"]  # the issued certificate's first page, rendered with pdftoppm


def build_app(folder: Path):
    """The demo programme with one certificate issued (for the verification page)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from wirlearn import create_app
    from wirlearn.auth.models import User
    from wirlearn.certificates import batch
    from wirlearn.certificates.services import issue_certificate
    from wirlearn.demo.seed import seed_demo
    from wirlearn.extensions import db
    from wirlearn.programme.models import Enrollment

    app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'docs.sqlite3'}", RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        first = batch.candidates(1)[0]
        issued = issue_certificate(first.enrollment_id)
        db.session.commit()
        app.config["DOCS_VERIFY_PATH"] = f"/v/{issued.code}"
        app.config["DOCS_HOLDER_EMAIL"] = db.session.scalar(
            select(User.email).join(Enrollment, Enrollment.user_id == User.id).where(Enrollment.id == first.enrollment_id)
        )
        app.config["DOCS_CERTIFICATE_CODE"] = issued.code
    return app


def certificate_pdf(app, folder: Path) -> None:
    """The demo certificate's first page as a picture (needs poppler-utils' pdftoppm)."""
    import shutil
    import subprocess

    from wirlearn.certificates.services import certificate_by_code, pdf_bytes

    if shutil.which("pdftoppm") is None:
        print("skipped certificate-pdf: pdftoppm is missing (apt-get install poppler-utils)")
        return
    with app.app_context():
        (folder / "certificate.pdf").write_bytes(pdf_bytes(certificate_by_code(app.config["DOCS_CERTIFICATE_CODE"])))
    command = ["pdftoppm", "-r", "70", "-png", "-singlefile", str(folder / "certificate.pdf"), str(OUT / "certificate-pdf")]
    subprocess.run(command, check=True)
    print("wrote docs/img/certificate-pdf.png")


def main() -> None:
    wanted = set(sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        if not wanted or wanted & set(PDF_SHOTS):
            certificate_pdf(app, Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, email, path, (width, height) in SHOTS:
                if wanted and name not in wanted:
                    continue
                context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height}, device_scale_factor=1)
                page = context.new_page()
                if email:
                    page.goto(f"{base}/anmelden")
                    page.get_by_label("E-Mail-Adresse").fill(email.format(holder=app.config["DOCS_HOLDER_EMAIL"]))
                    page.get_by_label("Passwort").fill("wirlearn-demo")
                    page.get_by_role("button", name="Anmelden").click()
                    page.wait_for_load_state()
                response = page.goto(base + path.format(verify_path=app.config["DOCS_VERIFY_PATH"]))
                if response is None or response.status >= 400:
                    print(f"skipped {name}: {path} answered {response.status if response else '-'}")
                else:
                    if "#" in path:  # KERN scrolls smoothly: jump at once, then shoot
                        page.evaluate(
                            "id => document.getElementById(id).scrollIntoView({behavior: 'instant'})", path.split("#")[1]
                        )
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                    print(f"wrote docs/img/{name}.png")
                context.close()
            seminar_shots(browser, base, app, wanted)
            browser.close()
        server.shutdown()


def _running_session(app) -> int:
    """A demo session of trainer@imap.example without a roster, moved to run now (docs only)."""
    from datetime import timedelta

    from sqlalchemy import select

    from wirlearn.auth.models import User
    from wirlearn.checkin.services import check_in
    from wirlearn.core.timeutil import local_now
    from wirlearn.extensions import db
    from wirlearn.programme.models import Enrollment, Module, Session, session_trainers

    with app.app_context():
        trainer = db.session.scalar(select(User).where(User.email == "trainer@imap.example"))
        session = db.session.scalars(
            select(Session)
            .join(session_trainers, session_trainers.c.session_id == Session.id)
            .where(session_trainers.c.user_id == trainer.id, Session.attendance_version == 0)
            .order_by(Session.date)
        ).first()
        now = local_now()
        start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0, second=0, microsecond=0))
        session.date, session.start_time = now.date(), start.time().replace(second=0, microsecond=0)
        session.end_time = min(now + timedelta(hours=2), now.replace(hour=23, minute=59)).time().replace(second=0, microsecond=0)
        db.session.commit()
        series_id = db.session.scalar(select(Module.series_id).where(Module.id == session.module_id))
        people = db.session.scalars(
            select(Enrollment.user_id).where(Enrollment.series_id == series_id, Enrollment.status == "active")
        ).all()
        for user_id in people[:9]:
            check_in(session.id, user_id)
        db.session.commit()
        return session.id


def _signed_in(browser, base: str, width: int, height: int):
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{base}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("trainer@imap.example")
    page.get_by_label("Passwort").fill("wirlearn-demo")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    return context, page


def seminar_shots(browser, base: str, app, wanted: set[str] = frozenset()) -> None:
    """The self check-in screen and the roster without a network, at phone, tablet and desktop
    size; then a mark the server refused, in the banner on a phone."""
    session_id = _running_session(app)
    for suffix, (width, height) in (("phone", (390, 844)), ("tablet", (820, 1180)), ("desktop", (1366, 900))):
        name = "checkin-trainer" if suffix == "desktop" else f"checkin-trainer-{suffix}"
        if wanted and not wanted & {name, f"roster-offline-{suffix}"}:
            continue
        context, page = _signed_in(browser, base, width, height)
        page.goto(f"{base}/termine/{session_id}/check-in")
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
        print(f"wrote docs/img/{name}.png")
        page.goto(f"{base}/training")
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20_000)
        page.goto(f"{base}/termine/{session_id}/anwesenheit")
        context.set_offline(True)
        page.reload()
        rows = page.locator(".roster-row")
        for index, status in ((9, "anwesend"), (10, "verspätet"), (11, "entschuldigt")):
            rows.nth(index).get_by_text(status, exact=True).click()
        page.wait_for_selector(".offline-banner:not([hidden])")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT / f"roster-offline-{suffix}.png"), full_page=False)
        print(f"wrote docs/img/roster-offline-{suffix}.png")
        context.close()
    if not wanted or "offline-refused-phone" in wanted:
        refused_shot(browser, base, app, session_id)


def refused_shot(browser, base: str, app, session_id: int) -> None:
    """A mark made without a network for a session that meanwhile moved to tomorrow: the
    server refuses it and the start page lists it with "Verwerfen" (the session moves back)."""
    from datetime import timedelta

    from wirlearn.extensions import db
    from wirlearn.programme.models import Session

    context, page = _signed_in(browser, base, 390, 844)
    page.goto(f"{base}/training")
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20_000)
    page.goto(f"{base}/termine/{session_id}/anwesenheit")
    context.set_offline(True)
    page.reload()
    page.locator(".roster-row").nth(12).get_by_text("anwesend", exact=True).click()
    page.wait_for_selector(".offline-banner:not([hidden])")
    page.goto(f"{base}/training")
    with app.app_context():
        session = db.session.get(Session, session_id)
        session.date += timedelta(days=1)
        db.session.commit()
    try:
        context.set_offline(False)
        page.wait_for_selector(".offline-refused:not([hidden])", timeout=20_000)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT / "offline-refused-phone.png"), full_page=False)
        print("wrote docs/img/offline-refused-phone.png")
    finally:
        context.close()
        with app.app_context():
            session = db.session.get(Session, session_id)
            session.date -= timedelta(days=1)
            db.session.commit()


if __name__ == "__main__":
    main()
