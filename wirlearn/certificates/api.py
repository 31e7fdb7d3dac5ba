"""Certificates in the JSON API: issue and revoke (admins); the credential and the PDF (the
holder and admins; anyone else gets the same 404 as for an unknown code)."""

from __future__ import annotations

from flask import Response, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from wirlearn.api import API_PREFIX
from wirlearn.api.auth import api_user
from wirlearn.api.problems import ApiProblem
from wirlearn.certificates import services
from wirlearn.certificates.models import Certificate
from wirlearn.core.access import api_roles
from wirlearn.extensions import db
from wirlearn.programme.access import enrollment_of

blp = Blueprint("api_certificates", __name__, url_prefix=API_PREFIX, description="Certificates")

# Open Badges 3.0, "Open Badges Document Formats": a VC-JWT served as a web resource SHOULD be
# text/plain; the file name ends in .jwt.
CREDENTIAL_MIME = "text/plain"


class IssueRequestSchema(Schema):
    # Bounded like the database's INTEGER ids: a larger number is a 422, not a database error.
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    series_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class IssuedSchema(Schema):
    code = fields.String(required=True)
    verify_url = fields.String(required=True)


class RevokeRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=services.REASON_MAX_LENGTH))


class RevokedSchema(Schema):
    code = fields.String(required=True)
    status = fields.String(required=True)
    revoked_at = fields.DateTime(required=True)


def _problem(error: services.CertificateError) -> ApiProblem:
    db.session.rollback()
    return ApiProblem(error.status, str(error), missing=error.missing or None)


@blp.route("/certificates", methods=["POST"])
@blp.arguments(IssueRequestSchema)
@blp.response(201, IssuedSchema)
@blp.alt_response(404, description="No such enrollment (problem+json)")
@blp.alt_response(409, description="A valid certificate exists already (problem+json)")
@blp.alt_response(422, description="Not eligible: `missing` lists what is still missing (problem+json)")
@api_roles("admin")
def issue(data):
    """Issue the certificate of a participant of a series."""
    enrollment = enrollment_of(data["user_id"], data["series_id"])
    if enrollment is None:
        raise ApiProblem(404, _("Diese Person ist in dieser Reihe nicht eingeschrieben."))
    try:
        issued = services.issue_certificate(enrollment.id, issued_by_id=api_user().id)
    except services.CertificateError as error:
        raise _problem(error) from error
    db.session.commit()
    return {"code": issued.code, "verify_url": issued.verify_url}


@blp.route("/certificates/<code>/revoke", methods=["POST"])
@blp.arguments(RevokeRequestSchema)
@blp.response(200, RevokedSchema)
@blp.alt_response(404, description="Unknown code (problem+json)")
@blp.alt_response(409, description="Not valid (already revoked or superseded) (problem+json)")
@api_roles("admin")
def revoke(data, code: str):
    """Revoke a valid certificate; the verification page says so at once."""
    try:
        certificate = services.revoke_certificate(code, data["reason"], revoked_by_id=api_user().id)
    except services.CertificateError as error:
        raise _problem(error) from error
    db.session.commit()
    return {"code": certificate.code, "status": certificate.status, "revoked_at": certificate.revoked_at}


def _own_certificate(code: str) -> Certificate:
    certificate = services.certificate_by_code(code)
    if certificate is None or not services.may_download(api_user(), certificate):
        raise ApiProblem(404, _("Dieses Zertifikat gibt es nicht."))
    return certificate


@blp.route("/certificates/<code>/credential", methods=["GET"])
@blp.response(200, description="The signed OpenBadgeCredential, compact JWS (VC-JWT)", content_type=CREDENTIAL_MIME)
@blp.alt_response(404, description="Unknown code, or not yours (problem+json)")
@api_roles()
def credential(code: str):
    """The signed credential (holder and admins)."""
    certificate = _own_certificate(code)
    return Response(
        certificate.credential,
        mimetype=CREDENTIAL_MIME,
        headers={"Content-Disposition": f'attachment; filename="zertifikat-{certificate.code[:8]}.jwt"'},
    )


@blp.route("/certificates/<code>/pdf", methods=["GET"])
@blp.response(200, description="The certificate as PDF (A4)", content_type="application/pdf")
@blp.alt_response(404, description="Unknown code, or not yours (problem+json)")
@api_roles()
def pdf(code: str):
    """The printable certificate (holder and admins); ``?inline=1`` opens it in the browser
    (to print) instead of downloading it."""
    certificate = _own_certificate(code)
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    return Response(
        services.pdf_bytes(certificate),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{services.pdf_filename(certificate)}"'},
    )
