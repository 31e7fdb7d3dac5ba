"""The password-reset request in the JSON API: the same rules and answer as the page."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from wirlearn.api import API_PREFIX
from wirlearn.auth import services
from wirlearn.auth.limits import password_reset_limits
from wirlearn.core.access import public
from wirlearn.extensions import db

blp = Blueprint("api_password_reset", __name__, url_prefix=API_PREFIX, description="Password reset")


class ResetRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))

    @validates("email")
    def check_email(self, value: str, **_kwargs) -> None:
        try:
            validate_email(value.strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise ValidationError(_("Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@example.org).")) from error


class AcceptedSchema(Schema):
    status = fields.String(required=True, metadata={"description": "Always `accepted`"})
    message = fields.String(required=True)


@blp.route("/password-reset", methods=["POST"])
@blp.arguments(ResetRequestSchema)
@blp.response(202, AcceptedSchema)
@blp.alt_response(422, description="Not an e-mail address (problem+json)")
@blp.alt_response(429, description="Too many requests for this address or from this client; see Retry-After (problem+json)")
@public
@password_reset_limits
def password_reset(data):
    """Ask for a password link by e-mail. The answer is the same whether or not an account
    belongs to the address; the link lives one hour and works once."""
    services.request_password_reset(data["email"])
    db.session.commit()
    return {
        "status": "accepted",
        "message": _(
            "Wenn zu dieser Adresse ein aktives Konto gehört, erhält sie in wenigen Minuten eine E-Mail mit einem Link."
        ),
    }
