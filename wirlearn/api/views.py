from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wirlearn.api import API_PREFIX
from wirlearn.api.problems import ApiProblem
from wirlearn.api.tokens import issue_token
from wirlearn.auth import services as auth_services
from wirlearn.auth import twofactor
from wirlearn.auth.limits import mark_failed, sign_in_limits
from wirlearn.core.access import public
from wirlearn.extensions import db

blp = Blueprint("api_token", __name__, url_prefix=API_PREFIX, description="Bearer tokens")


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    otp = fields.String(
        validate=validate.Length(min=1, max=40),
        load_only=True,
        metadata={"description": "Code from the authenticator app (or a recovery code) for accounts with two-factor sign-in"},
    )


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong email, password or second factor (problem+json)")
@blp.alt_response(403, description="Two-factor sign-in is required but not set up yet (problem+json)")
@blp.alt_response(429, description="Too many failed attempts; see Retry-After (problem+json)")
@public
@sign_in_limits
def token(data):
    """Exchange email and password (and, with two-factor sign-in, a code) for a short-lived bearer token."""
    user = auth_services.authenticate(data["email"], data["password"])
    if user is None:
        mark_failed()
        db.session.commit()  # keep the audit event of the failed attempt
        raise ApiProblem(401, _("E-Mail-Adresse oder Passwort ist falsch."))
    if user.totp_enabled:
        # Otherwise the API would be a way around the second factor.
        result = twofactor.check_second_factor(user, data.get("otp") or "")
        if not result.ok:
            mark_failed()
            db.session.commit()  # keep the audit event of the failed attempt
            raise ApiProblem(401, _("Für dieses Konto ist ein Code aus der Authenticator-App nötig (Feld „otp“)."))
    elif twofactor.required_for(user):
        db.session.commit()
        raise ApiProblem(403, _("Bitte richten Sie zuerst im Browser die Anmeldung mit zweitem Faktor ein."))
    access_token, lifetime = issue_token(user)
    db.session.commit()
    # "Bearer" is a token type, not a secret.
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime}  # nosec B105
