"""Telling holders about their certificates: issued (with the PDF and the signed credential
attached), re-issued, revoked.

The attachment is what the holder would download (``certificates.services.pdf_bytes``: the
certificate's own PDF, with its status note) and the stored credential, byte for byte.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from wirlearn import signals
from wirlearn.auth.models import User
from wirlearn.certificates import services as certificate_services
from wirlearn.certificates.codes import grouped
from wirlearn.certificates.models import Certificate
from wirlearn.certificates.sharing import linkedin_url
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.mail.kinds import Attachment, Draft, Kind, Skip, register_kind
from wirlearn.mail.outbox import queue_message
from wirlearn.programme.models import Enrollment


def _holder(certificate: Certificate) -> User:
    # Issuing has the enrollment and its holder loaded already: the identity map answers
    # without a query (bench: issuing); otherwise two primary-key loads.
    return db.session.get(Enrollment, certificate.enrollment_id).user


def on_certificate_issued(certificate: Certificate, **_extra) -> None:
    holder = _holder(certificate)
    kind = "certificate_reissued" if certificate.supersedes_id else "certificate_issued"
    queue_message(kind, f"certificate:{certificate.id}:issued", to_address=holder.email, user_id=holder.id, ref_id=certificate.id)


def on_certificate_revoked(certificate: Certificate, **_extra) -> None:
    holder = _holder(certificate)
    queue_message(
        "certificate_revoked",
        f"certificate:{certificate.id}:revoked",
        to_address=holder.email,
        user_id=holder.id,
        ref_id=certificate.id,
    )


def _certificate(message) -> Certificate:
    certificate = db.session.get(Certificate, message.ref_id) if message.ref_id else None
    if certificate is None:
        raise Skip(_("Das Zertifikat gibt es nicht mehr."))
    return certificate


def build_issued(message, user) -> Draft:
    certificate = _certificate(message)
    if certificate.status != "valid":
        raise Skip(_("Das Zertifikat ist nicht mehr gültig."))
    filename = certificate_services.pdf_filename(certificate)
    context = {
        "user": user,
        "certificate": certificate,
        "snapshot": certificate.snapshot,
        "code": grouped(certificate.code),
        "verify_url": certificate.snapshot["verify_url"],
        "mine_url": public_url_for("certificates.mine"),
        "linkedin_url": linkedin_url(certificate),
        "pdf_filename": filename,
        "credential_filename": filename.removesuffix(".pdf") + ".jwt",
        "reissued": message.kind == "certificate_reissued",
    }
    return Draft(
        "certificate_issued",
        context,
        reason=_l("für Sie ein Zertifikat ausgestellt wurde"),
        attachments=[
            Attachment(filename, certificate_services.pdf_bytes(certificate), "application/pdf"),
            Attachment(context["credential_filename"], certificate.credential.encode("ascii"), "application/jwt"),
        ],
    )


def build_revoked(message, user) -> Draft:
    certificate = _certificate(message)
    return Draft(
        "certificate_revoked",
        {
            "user": user,
            "certificate": certificate,
            "snapshot": certificate.snapshot,
            "code": grouped(certificate.code),
            "verify_url": certificate.snapshot["verify_url"],
        },
        reason=_l("ein Zertifikat, das auf Ihren Namen ausgestellt war, widerrufen wurde"),
    )


def register() -> None:
    register_kind(Kind("certificate_issued", "always", _l("Zertifikat ausgestellt"), build_issued))
    register_kind(Kind("certificate_reissued", "always", _l("Zertifikat neu ausgestellt"), build_issued))
    register_kind(Kind("certificate_revoked", "always", _l("Zertifikat widerrufen"), build_revoked))
    signals.certificate_issued.connect(on_certificate_issued)
    signals.certificate_revoked.connect(on_certificate_revoked)
