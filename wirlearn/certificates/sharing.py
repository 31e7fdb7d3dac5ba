"""How a holder shares a certificate: the one place for the LinkedIn "add to profile" address
(used by the holder's pages and by the certificate e-mail)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from wirlearn.certificates import codes
from wirlearn.certificates.models import Certificate

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


def linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's "Add licence or certification" form, filled in (name, organisation, issue and
    expiry month, certificate address and id). The issue month is the award date, which stays
    the same through re-issues."""
    snapshot = certificate.snapshot
    awarded = datetime.fromisoformat((snapshot.get("awarded_at") or snapshot["issued_at"]).replace("Z", "+00:00"))
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": snapshot["certificate_title"],
        "organizationName": snapshot.get("issuer_name") or snapshot["provider"],
        "issueYear": awarded.year,
        "issueMonth": awarded.month,
        "certUrl": snapshot["verify_url"],
        "certId": codes.grouped(certificate.code),
    }
    if snapshot.get("valid_until"):
        until = datetime.fromisoformat(snapshot["valid_until"].replace("Z", "+00:00"))
        params |= {"expirationYear": until.year, "expirationMonth": until.month}
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


def linkedin_url_for_code(code: str) -> str | None:
    """For templates that know only the code (the holder's own certificate cards)."""
    from wirlearn.certificates.services import certificate_by_code

    certificate = certificate_by_code(code)
    return linkedin_url(certificate) if certificate is not None else None
