"""Who is calling the API: a bearer token, or for reading only, the browser session."""

from __future__ import annotations

import hmac

import jwt
from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from wirlearn.api.problems import ApiProblem
from wirlearn.api.tokens import decode_token
from wirlearn.auth.models import User
from wirlearn.extensions import db


def _unauthorized(detail: str) -> ApiProblem:
    problem = ApiProblem(401, detail)
    problem.extra = {}
    return problem


def authenticate_api_request() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if header:
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(_("Erwartet wird ein Bearer-Token im Authorization-Header."))
        try:
            claims = decode_token(token.strip())
        except jwt.ExpiredSignatureError as error:
            raise _unauthorized(_("Das Token ist abgelaufen. Bitte fordern Sie ein neues an.")) from error
        except jwt.InvalidTokenError as error:
            raise _unauthorized(_("Das Token ist ungültig.")) from error
        user = db.session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
        if user is None or not user.active or not hmac.compare_digest(user.session_nonce, str(claims["sid"])):
            raise _unauthorized(_("Das Token gilt nicht mehr. Bitte fordern Sie ein neues an."))
        g.api_user = user
        return user
    # Downloads linked from the pages (PDF, credential) use the browser session; reading only,
    # so no CSRF exposure.
    if request.method in ("GET", "HEAD") and current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        return g.api_user
    # The pages' own scripts (offline roll call, self check-in) write with the browser session
    # exactly as a form does: only with the page's CSRF token in the X-CSRFToken header.
    csrf_header = request.headers.get("X-CSRFToken", "")
    if csrf_header and current_user.is_authenticated:
        try:
            validate_csrf(csrf_header)
        except ValidationError as error:
            raise _unauthorized(_("Das Sicherheits-Token der Seite ist ungültig. Bitte laden Sie die Seite neu.")) from error
        g.api_user = current_user._get_current_object()
        return g.api_user
    raise _unauthorized(_("Anmeldung erforderlich: Bitte senden Sie ein Bearer-Token."))


def api_user() -> User:
    return g.api_user
