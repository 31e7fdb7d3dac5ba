"""Error pages in German (and English), problem+json for the API, 503 when the database is gone."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from wirlearn.core.lean import is_lean
from wirlearn.extensions import db

RETRY_AFTER_SECONDS = 30


def error_texts(code: int) -> tuple[str, str]:
    """Title and explanation for an error page, in the visitor's language."""
    texts = {
        400: (_("Ungültige Anfrage"), _("Die Anfrage konnte nicht verarbeitet werden.")),
        403: (_("Kein Zugriff"), _("Sie haben keine Berechtigung für diese Seite.")),
        404: (_("Seite nicht gefunden"), _("Diese Seite gibt es nicht (mehr). Prüfen Sie die Adresse.")),
        405: (_("Nicht erlaubt"), _("Diese Aktion ist hier nicht möglich.")),
        401: (_("Anmeldung erforderlich"), _("Bitte melden Sie sich an.")),
        409: (_("Konflikt"), _("Die Daten wurden inzwischen geändert. Es wurde nichts gespeichert.")),
        410: (_("Nicht mehr verfügbar"), _("Dieser Inhalt ist nicht mehr verfügbar.")),
        413: (_("Anfrage zu groß"), _("Die gesendeten Daten sind zu groß.")),
        422: (_("Ungültige Angaben"), _("Die Anfrage enthält ungültige Angaben. Es wurde nichts gespeichert.")),
        429: (
            _("Zu viele Anfragen"),
            _("Sie haben in kurzer Zeit zu viele Anfragen gestellt. Bitte warten Sie einen Moment."),
        ),
        500: (
            _("Interner Fehler"),
            _("Etwas ist schiefgegangen. Es wurde nichts gespeichert. Bitte versuchen Sie es erneut."),
        ),
        503: (
            _("Vorübergehend nicht verfügbar"),
            _("Der Dienst ist gerade nicht erreichbar. Es wurde nichts gespeichert. Bitte versuchen Sie es gleich noch einmal."),
        ),
    }
    return texts.get(code, (_("Fehler"), _("Die Anfrage konnte nicht verarbeitet werden.")))


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


# The public addresses a certificate or credential names (verification page, credential ids,
# keys): their error answers set no cookie, so they never show the site's page (whose language
# form carries a CSRF token in the session). People get the verification pages' frame, machines
# reading the ids under /ob/ and /.well-known/ plain text.
MACHINE_PREFIXES = ("/ob/", "/.well-known/")


def public_person_path(path: str) -> bool:
    return path == "/v" or path.startswith("/v/")


def render_error(code: int, detail: str | None = None, headers: dict[str, str] | None = None, **extra):
    from flask import make_response

    title, text = error_texts(code)
    if wants_problem_json():
        from wirlearn.api.problems import problem_response

        response = problem_response(code, title=title, detail=detail or text, **extra)
    elif is_lean() or public_person_path(request.path):
        response = make_response(_public_error_page(code, title, detail or text), code)
        response.headers["Cache-Control"] = "no-store"
    elif request.path.startswith(MACHINE_PREFIXES):
        response = make_response(f"{title}\n\n{detail or text}\n", code)
        response.mimetype = "text/plain"
        response.headers["Cache-Control"] = "no-store"
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title, text=detail or text), code)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _public_error_page(code: int, title: str, text: str) -> str:
    """The error page of the lean public routes: the verification pages' frame, without the
    app's navigation and its forms (a form's CSRF token would start a session cookie)."""
    from flask import url_for
    from flask_babel import get_locale

    lang = str(get_locale() or "de")
    other = "en" if lang == "de" else "de"
    return render_template(
        "errors/public_error.html",
        code=code,
        title=title,
        text=text,
        lang=lang,
        other_lang=other,
        switch_url=url_for("verify.lookup", lang=other),
    )


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the session is discarded anyway
        db.session.remove()


def handle_http_exception(error: HTTPException):
    from wirlearn.api.problems import ApiProblem

    code = error.code or 500
    headers = {}
    if code == 429:
        retry = getattr(error, "retry_after", None)
        headers["Retry-After"] = str(retry or 60)
    if code == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if code == 401 and wants_problem_json():
        headers["WWW-Authenticate"] = 'Bearer realm="wirlearn"'
    if isinstance(error, ApiProblem):
        return render_error(code, error.description, headers, **error.extra)
    extra = {}
    # flask-smorest / webargs put field messages of a 422 into error.data
    data = getattr(error, "data", None)
    if isinstance(data, dict) and data.get("messages"):
        extra["errors"] = data["messages"]
        return render_error(code, _("Die Anfrage enthält ungültige Angaben."), headers, **extra)
    return render_error(code, None, headers)


def handle_csrf_error(error: CSRFError):
    return render_error(
        400,
        _("Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie die Seite neu."),
    )


def handle_database_unavailable(error: Exception):
    _rollback()
    from flask import current_app, g

    current_app.logger.error("database unavailable: %s", type(error).__name__)
    # The page must not ask the database who is signed in: show it as to a visitor.
    g._login_user = current_app.login_manager.anonymous_user()
    return render_error(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_unexpected(error: Exception):
    _rollback()
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    from flask import current_app

    current_app.logger.exception("unhandled error")
    return render_error(500)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(ServiceUnavailable, handle_http_exception)
    app.register_error_handler(DBAPIError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
