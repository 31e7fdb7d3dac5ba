from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from wirlearn.core import ROLE_PRIORITY
from wirlearn.core.access import public, signed_in
from wirlearn.extensions import db

bp = Blueprint("core", __name__)


def start_endpoint_for(user) -> str | None:
    pages = current_app.extensions.get("wirlearn_start_pages", {})
    for role in ROLE_PRIORITY:
        if user.has_role(role) and role in pages:
            return pages[role]
    return None


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    endpoint = start_endpoint_for(current_user)
    if endpoint:
        return redirect(url_for(endpoint))
    return redirect(url_for("core.start"))


@bp.get("/start")
@signed_in
def start():
    return render_template("core/start.html")


def is_local_url(target: str | None) -> bool:
    """True only for a path on this site ("/…"), never another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.post("/sprache")
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated and current_user.preferred_locale != lang:
        current_user.preferred_locale = lang
        db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_local_url(target) else url_for("core.home"))


def legal_text(name: str) -> str | None:
    """Text the operator provides in LEGAL_TEXT_DIR (datenschutz.txt, impressum.txt,
    barrierefreiheit.txt, leichte-sprache.txt); ``<name>.en.txt`` for English visitors first."""
    folder = Path(current_app.config.get("LEGAL_TEXT_DIR") or Path(current_app.instance_path) / "legal")
    candidates = [folder / f"{name}.{get_locale().language}.txt", folder / f"{name}.txt"]
    for path in candidates:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def accessibility_contact() -> str | None:
    config = current_app.config
    contact = config.get("ACCESSIBILITY_CONTACT") or config.get("MAIL_REPLY_TO") or config.get("MAIL_DEFAULT_SENDER")
    return parseaddr(contact)[1] or None if contact else None


@bp.get("/datenschutz")
@public
def privacy():
    return render_template("core/legal.html", title=_("Datenschutzerklärung"), text=legal_text("datenschutz"))


@bp.get("/impressum")
@public
def imprint():
    return render_template("core/legal.html", title=_("Impressum"), text=legal_text("impressum"))


@bp.get("/barrierefreiheit")
@public
def accessibility():
    """The accessibility statement (BITV 2.0, EU 2018/1523); the operator's own text replaces the default."""
    return render_template(
        "core/accessibility.html",
        title=_("Erklärung zur Barrierefreiheit"),
        text=legal_text("barrierefreiheit"),
        contact=accessibility_contact(),
    )


@bp.get("/leichte-sprache")
@public
def easy_language():
    return render_template("core/easy_language.html", title=_("wirlearn in Leichter Sprache"), text=legal_text("leichte-sprache"))


@bp.get("/healthz")
@public
def health():
    """For load balancers: 200 when the database answers, 503 otherwise."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
