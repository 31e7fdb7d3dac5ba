from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wirlearn.api import API_PREFIX
from wirlearn.api.problems import ApiProblem
from wirlearn.api.tokens import issue_token
from wirlearn.auth import services as auth_services
from wirlearn.core.access import public
from wirlearn.extensions import db

blp = Blueprint("api_token", __name__, url_prefix=API_PREFIX, description="Bearer tokens")


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong email or password (problem+json)")
@public
def token(data):
    """Exchange email and password for a short-lived bearer token."""
    user = auth_services.authenticate(data["email"], data["password"])
    if user is None:
        db.session.commit()  # keep the audit event of the failed attempt
        raise ApiProblem(401, _("E-Mail-Adresse oder Passwort ist falsch."))
    access_token, lifetime = issue_token(user)
    db.session.commit()
    # "Bearer" is a token type, not a secret.
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime}  # nosec B105
