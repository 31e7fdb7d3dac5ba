"""Issuing, revoking and re-issuing certificates, and who may download what.

Eligibility is never decided here: it comes from ``wirlearn.progress.services`` (one rule, one
place). Every function flushes and never commits; one certificate is one transaction, committed
by the caller together with its audit event (see ``batch`` for many at once).

Decisions:
* The PDF is not stored. It is made from the snapshot whenever it is downloaded; issuing makes
  it once before anything is written, so a certificate whose PDF fails is never issued.
* The snapshot holds everything the certificate shows, frozen at issue; the signed credential
  is derived from it (``signing.credential_claims``).
* Re-issue (e.g. after a name change) copies the old snapshot with the holder's current name,
  keeps the original award date (``awardedDate``) and validity end, and does not ask for
  eligibility again: the achievement was already certified. The old certificate becomes
  "superseded" and stays on record; its public page links to the new one only when the
  programme office ticks that at re-issue (the link would tie the old name to the new one).
* Every certificate gets a random entry on its issuer's Bitstring Status List
  (``wirlearn.status``): revoked and superseded certificates are "revoked" there, read straight
  from ``status`` so list and certificate change in one transaction.
* The series' design (programme line, logos, signatories) is copied into the snapshot at issue.
* Revocation is for valid certificates; the reason is stored and audited but not shown on the
  public page (it may concern the person), only the date is.
"""

from __future__ import annotations

import calendar
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from wirlearn import signals
from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.certificates import codes, design, ids, keys, signing, states
from wirlearn.certificates.models import Certificate
from wirlearn.core import urls
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Series
from wirlearn.status import services as status_services

if TYPE_CHECKING:
    from wirlearn.certificates import pdf

log = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
SNAPSHOT_VERSION = 2


class CertificateError(Exception):
    """Refused; ``str(error)`` is a German message, ``missing`` the unmet rules, ``status`` the
    HTTP status the API answers with."""

    def __init__(self, message: str, *, missing: list[str] | None = None, status: int = 422):
        super().__init__(message)
        self.missing = list(missing or [])
        self.status = status


@dataclass(frozen=True)
class Issued:
    certificate_id: int
    code: str
    verify_url: str
    holder_name: str
    enrollment_id: int
    supersedes_code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def verify_url(code: str, base_url: str | None = None) -> str:
    """The address printed and encoded in the QR code: ``{BASE_URL}/v/{code}``."""
    return f"{(base_url or urls.base_url()).rstrip('/')}/v/{code}"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of the month where that day does not exist)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def criteria_text(series: Series) -> str:
    """The completion rules of a series in one German sentence, as printed and signed."""
    attendance = f"Anwesenheit bei mindestens {series.min_attendance_percent} % aller Termine"
    if series.min_module_attendance_percent is not None:
        attendance += f" und mindestens {series.min_module_attendance_percent} % je Pflichtmodul"
    return f"Voraussetzungen: {attendance}; alle Pflichtmodule bestanden."


def build_snapshot(
    *,
    series: Series,
    holder: User,
    modules: list[dict[str, Any]],
    code: str,
    issued_at: datetime,
    valid_until: datetime | None,
    status_entry=None,
) -> dict[str, Any]:
    """Everything the certificate shows and the credential says, frozen at issue."""
    base_url = urls.base_url()
    salt = secrets.token_hex(16)
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "holder_name": holder.display_name,
        "subject_id": f"urn:uuid:{holder.subject_uuid}",
        "certificate_title": series.certificate_title,
        "series_title": series.title,
        "provider": series.provider,
        "issuer_name": series.issuer_name or "",
        "place": series.place or "",
        "start_date": series.start_date.isoformat() if series.start_date else None,
        "end_date": series.end_date.isoformat() if series.end_date else None,
        "modules": modules,
        "teaching_units_total": sum(module["teaching_units"] for module in modules),
        "criteria": criteria_text(series),
        "issued_at": signing.format_time(issued_at),
        "valid_until": signing.format_time(valid_until) if valid_until else None,
        "issuer_url": base_url,
        "verify_url": verify_url(code, base_url),
        "achievement_id": ids.achievement_id(series.id, base_url),
        "issuer_id": ids.issuer_id(series.id, base_url),
        "series_id": series.id,
        "awarded_at": signing.format_time(issued_at),
        "email_hash": signing.hash_email(holder.email, salt),
        "email_salt": salt,
        "design": design.design_snapshot(series.id),
    }
    if status_entry is not None:
        snapshot |= {"status_list_url": status_entry.list_url, "status_index": status_entry.index}
    return snapshot


def _certified_modules(progress) -> list[dict[str, Any]]:
    """Required modules and the optional ones passed, in series order."""
    return [
        {"title": module.title, "teaching_units": module.teaching_units}
        for module in sorted(progress.modules, key=lambda item: (item.position, item.module_id))
        if module.required or module.assessment == "passed"
    ]


def valid_certificate_for(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id, Certificate.status == "valid"))


def _sign_and_check(snapshot: dict[str, Any], code: str, key: keys.LoadedKey | None = None) -> tuple[str, str]:
    """Sign the credential and make the PDF once; raises before anything is written. ``key``: the
    signing key the caller already looked up in this transaction (a batch: once per group)."""
    key = key or keys.signing_key()
    credential = signing.sign(signing.credential_claims(snapshot), key, kid=ids.key_url(key.kid, snapshot["issuer_url"]))
    from wirlearn.certificates import pdf  # reportlab only where a PDF is made (worker memory)

    pdf.render(snapshot, code, images=design.images_for(snapshot))
    return credential, key.kid


def _audit_view(certificate: Certificate) -> dict[str, Any]:
    return {
        "code": certificate.code,
        "status": certificate.status,
        "holder_name": certificate.snapshot["holder_name"],
        "kid": certificate.kid,
        "valid_until": certificate.snapshot.get("valid_until"),
    }


def issue_certificate(
    enrollment_id: int,
    *,
    issued_by_id: int | None = None,
    progress=None,
    automatic: bool = False,
    key: keys.LoadedKey | None = None,
) -> Issued:
    """Issue the certificate of one enrollment if the participant is eligible.

    ``progress``: the participant's ParticipantProgress when the caller has it already (a batch
    computes a whole series in a fixed number of queries); otherwise it is computed here."""
    from wirlearn.progress.services import progress_for_enrollment

    # Holder and series in the same query: both are needed for every certificate.
    enrollment = db.session.get(Enrollment, enrollment_id, options=[joinedload(Enrollment.user), joinedload(Enrollment.series)])
    if enrollment is None:
        raise CertificateError(_("Diese Teilnahme gibt es nicht."), status=404)
    holder = enrollment.user
    existing = valid_certificate_for(enrollment_id)
    if existing is not None:
        raise CertificateError(
            _(
                "Für %(name)s gibt es bereits ein gültiges Zertifikat (%(code)s).",
                name=holder.display_name,
                code=codes.grouped(existing.code),
            ),
            status=409,
        )
    if progress is None or progress.enrollment_id != enrollment_id:
        progress = progress_for_enrollment(enrollment_id)
    if not progress.eligible:
        raise CertificateError(
            _("%(name)s erfüllt die Voraussetzungen für das Zertifikat noch nicht.", name=holder.display_name),
            missing=progress.missing,
        )
    series = enrollment.series
    issued_at = utcnow().replace(microsecond=0)
    valid_until = add_months(issued_at, series.validity_months) if series.validity_months else None
    code = codes.new_code()
    entry = status_services.allocate(series.id)
    snapshot = build_snapshot(
        series=series,
        holder=holder,
        modules=_certified_modules(progress),
        code=code,
        issued_at=issued_at,
        valid_until=valid_until,
        status_entry=entry,
    )
    credential, kid = _sign_and_check(snapshot, code, key)
    certificate = Certificate(
        status_list_id=entry.list_id,
        status_index=entry.index,
        code=code,
        enrollment_id=enrollment_id,
        snapshot=snapshot,
        credential=credential,
        kid=kid,
        issued_at=issued_at,
        issued_by_id=issued_by_id,
        valid_until=valid_until,
        status="valid",
    )
    _insert(certificate, holder)
    record(
        "certificate.issued",
        "certificate",
        certificate.id,
        after=_audit_view(certificate) | ({"automatic": True} if automatic else {}),
        subject_user_id=holder.id,
        series_id=series.id,
    )
    signals.certificate_issued.send(certificate)
    return Issued(certificate.id, code, snapshot["verify_url"], holder.display_name, enrollment_id)


def _insert(certificate: Certificate, holder: User) -> None:
    # Read before the flush: a failed flush expires every loaded object, and reading one then
    # fails (PendingRollbackError) instead of giving the message.
    name = holder.display_name
    db.session.add(certificate)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone else issued for this enrollment a moment ago (one valid certificate per
        # enrollment is a unique index). The caller rolls back.
        raise CertificateError(_("Für %(name)s gibt es bereits ein gültiges Zertifikat.", name=name), status=409) from error


def certificate_by_code(raw_code: str | None) -> Certificate | None:
    code = codes.normalize(raw_code)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def holder_id(certificate: Certificate) -> int:
    return db.session.scalar(select(Enrollment.user_id).where(Enrollment.id == certificate.enrollment_id))


def may_download(user: User, certificate: Certificate) -> bool:
    """The holder and admins; nobody else (others get the same 404 as for an unknown code)."""
    return user.has_role("admin") or holder_id(certificate) == user.id


def revoke_certificate(raw_code: str, reason: str, *, revoked_by_id: int | None) -> Certificate:
    certificate = certificate_by_code(raw_code)
    if certificate is None:
        raise CertificateError(_("Dieses Zertifikat gibt es nicht."), status=404)
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Bitte geben Sie einen Grund für den Widerruf an."))
    if len(reason) > REASON_MAX_LENGTH:
        raise CertificateError(_("Der Grund darf höchstens %(n)d Zeichen lang sein.", n=REASON_MAX_LENGTH))
    if certificate.status != "valid":
        raise CertificateError(_("Nur ein gültiges Zertifikat kann widerrufen werden."), status=409)
    before = _audit_view(certificate)
    certificate.status = "revoked"
    certificate.revoked_at = utcnow().replace(microsecond=0)
    certificate.revoked_reason = reason
    certificate.revoked_by_id = revoked_by_id
    db.session.flush()
    series_id = db.session.scalar(select(Enrollment.series_id).where(Enrollment.id == certificate.enrollment_id))
    record(
        "certificate.revoked",
        "certificate",
        certificate.id,
        before=before,
        after=_audit_view(certificate) | {"reason": reason},
        subject_user_id=holder_id(certificate),
        series_id=series_id,
    )
    signals.certificate_revoked.send(certificate)
    return certificate


def reissue_certificate(
    raw_code: str, *, issued_by_id: int | None, holder_name: str | None = None, link_successor: bool = False
) -> Issued:
    """A new certificate with the holder's current name (or ``holder_name``) that supersedes a
    valid one; the old one stays on record as superseded. Its public page links to the new one
    only with ``link_successor`` (otherwise it says "ersetzt" and names nobody)."""
    old = certificate_by_code(raw_code)
    if old is None:
        raise CertificateError(_("Dieses Zertifikat gibt es nicht."), status=404)
    if old.status != "valid":
        raise CertificateError(_("Nur ein gültiges Zertifikat kann neu ausgestellt werden."), status=409)
    enrollment = db.session.get(Enrollment, old.enrollment_id)
    holder = enrollment.user
    name = (holder_name or holder.display_name).strip()
    if not name or len(name) > 200:
        raise CertificateError(_("Bitte geben Sie den Namen an, der auf dem Zertifikat stehen soll (höchstens 200 Zeichen)."))
    issued_at = utcnow().replace(microsecond=0)
    code = codes.new_code()
    entry = status_services.allocate(enrollment.series_id, old.snapshot["issuer_url"])
    snapshot = renewed_snapshot(old.snapshot, enrollment.series_id, holder) | {
        "holder_name": name,
        "issued_at": signing.format_time(issued_at),
        "verify_url": verify_url(code, old.snapshot["issuer_url"]),
        "status_list_url": entry.list_url,
        "status_index": entry.index,
    }
    credential, kid = _sign_and_check(snapshot, code)
    before = _audit_view(old)
    # The old one leaves "valid" first: one valid certificate per enrollment.
    old.status = "superseded"
    old.superseded_at = issued_at
    old.successor_public = bool(link_successor)
    db.session.flush()
    new = Certificate(
        status_list_id=entry.list_id,
        status_index=entry.index,
        code=code,
        enrollment_id=old.enrollment_id,
        snapshot=snapshot,
        credential=credential,
        kid=kid,
        issued_at=issued_at,
        issued_by_id=issued_by_id,
        valid_until=old.valid_until,
        status="valid",
        supersedes_id=old.id,
    )
    _insert(new, holder)
    record(
        "certificate.reissued",
        "certificate",
        new.id,
        before=before,
        after=_audit_view(new) | {"supersedes": old.code},
        subject_user_id=holder.id,
        series_id=enrollment.series_id,
    )
    signals.certificate_issued.send(new)
    return Issued(new.id, code, snapshot["verify_url"], name, old.enrollment_id, supersedes_code=old.code)


def renewed_snapshot(old: dict[str, Any], series_id: int, holder: User) -> dict[str, Any]:
    """An earlier snapshot brought to the current version for a new signature: the award date of
    the first issue kept, ids that resolve, the holder's e-mail hashed with a fresh salt."""
    base_url = old["issuer_url"]
    salt = secrets.token_hex(16)
    return dict(old) | {
        "version": SNAPSHOT_VERSION,
        "subject_id": f"urn:uuid:{holder.subject_uuid}",
        "awarded_at": old.get("awarded_at") or old["issued_at"],
        "issuer_id": old.get("issuer_id") or ids.issuer_id(series_id, base_url),
        "achievement_id": ids.achievement_id(series_id, base_url),
        "series_id": series_id,
        "email_hash": signing.hash_email(holder.email, salt),
        "email_salt": salt,
        "design": old.get("design") or design.design_snapshot(series_id),
    }


def resign_certificate(certificate: Certificate) -> bool:
    """Give a certificate issued before status lists an entry and a new signature: same code,
    same holder name, same dates (``validFrom`` and award date), ids that resolve. Revoked and
    superseded ones too (their bit is set). False when it has an entry already."""
    if certificate.status_list_id is not None:
        return False
    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    entry = status_services.allocate(enrollment.series_id, certificate.snapshot["issuer_url"])
    snapshot = renewed_snapshot(certificate.snapshot, enrollment.series_id, enrollment.user) | {
        "status_list_url": entry.list_url,
        "status_index": entry.index,
    }
    before = _audit_view(certificate)
    credential, kid = _sign_and_check(snapshot, certificate.code)
    certificate.snapshot = snapshot
    certificate.credential = credential
    certificate.kid = kid
    certificate.status_list_id = entry.list_id
    certificate.status_index = entry.index
    db.session.flush()
    record(
        "certificate.resigned",
        "certificate",
        certificate.id,
        before=before,
        after=_audit_view(certificate) | {"status_list": f"{entry.list_url}#{entry.index}"},
        subject_user_id=enrollment.user_id,
        series_id=enrollment.series_id,
    )
    return True


PREVIEW_CODE = "MVSTERMVSTERMVSTERMVSTERMVST"


def preview_pdf(series: Series) -> bytes:
    """The certificate of ``series`` as it would be issued now, for a sample holder, with the
    current design and "MUSTER" across the top: nothing is stored, signed or numbered."""
    from types import SimpleNamespace

    from wirlearn.certificates import pdf

    holder = SimpleNamespace(display_name="Erika Mustermann", subject_uuid="00000000-0000-0000-0000-000000000000", email="")
    modules = [
        {"title": module.title, "teaching_units": module.teaching_units}
        for module in sorted(series.modules, key=lambda item: (item.position, item.id))
        if module.required
    ]
    issued_at = utcnow().replace(microsecond=0)
    valid_until = add_months(issued_at, series.validity_months) if series.validity_months else None
    snapshot = build_snapshot(
        series=series, holder=holder, modules=modules, code=PREVIEW_CODE, issued_at=issued_at, valid_until=valid_until
    )
    note = pdf.StatusNote("MUSTER – Vorschau, kein gültiges Zertifikat")
    return pdf.render(snapshot, PREVIEW_CODE, note, images=design.images_for(snapshot))


def status_note(certificate: Certificate) -> pdf.StatusNote | None:
    """What a copy printed after revocation or re-issue says across its top."""
    from wirlearn.certificates import pdf

    if certificate.status == "revoked":
        return pdf.StatusNote(
            f"WIDERRUFEN am {pdf.local_date(certificate.revoked_at)} – dieses Zertifikat ist nicht mehr gültig."
        )
    if certificate.status == "superseded":
        return pdf.StatusNote(f"ERSETZT am {pdf.local_date(certificate.superseded_at)} – es gilt ein neueres Zertifikat.")
    return None


def pdf_bytes(certificate: Certificate) -> bytes:
    from wirlearn.certificates import pdf

    snapshot = certificate.snapshot
    return pdf.render(snapshot, certificate.code, status_note(certificate), images=design.images_for(snapshot))


def file_slug(text: str) -> str:
    """ASCII for file names: "Ayşe Yılmaz" → "ayse-yilmaz"."""
    text = text.translate(str.maketrans({"ß": "ss", "ı": "i", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O"}))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def pdf_filename(certificate: Certificate) -> str:
    return f"zertifikat-{file_slug(certificate.snapshot['holder_name']) or 'inhaber'}-{certificate.code[:8]}.pdf"


def certificates_of_user(user_id: int) -> list[Certificate]:
    """A holder's certificates, newest first (every state: the history is theirs too)."""
    return list(
        db.session.scalars(
            select(Certificate)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(Enrollment.user_id == user_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def certificates_of_series(series_id: int, *, valid_only: bool = False) -> list[Certificate]:
    query = (
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.series_id == series_id)
        .order_by(Certificate.issued_at, Certificate.id)
    )
    if valid_only:
        query = query.where(Certificate.status == "valid")
    return list(db.session.scalars(query))


def successor_code(certificate: Certificate) -> str | None:
    newer = aliased(Certificate)
    return db.session.scalar(select(newer.code).where(newer.supersedes_id == certificate.id))


def public_state(certificate: Certificate, now: datetime | None = None) -> str:
    """valid | expired | revoked | superseded — the one precedence every page and the API use
    (``states.decide``)."""
    return states.decide(certificate.status, certificate.valid_until, now or utcnow()).state


def state_decision(certificate: Certificate, now: datetime | None = None) -> states.Decision:
    return states.decide(certificate.status, certificate.valid_until, now or utcnow())
