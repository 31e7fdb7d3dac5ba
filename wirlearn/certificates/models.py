"""Issued certificates and the public halves of the keys that signed them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wirlearn.core.dbtypes import JSONType, enum_check
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

CERTIFICATE_STATUSES = ("valid", "revoked", "superseded")


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public code as stored: upper-case, no separators (see certificates.codes).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    # What the certificate certifies, frozen at issue: holder name, titles, modules, dates.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    credential: Mapped[str] = mapped_column(Text)  # compact JWS (VC-JWT)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    valid_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="valid")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    # Whether this (superseded) certificate's public page links to its successor: only when the
    # programme office chose so at re-issue, since the link ties the old name to the new one.
    successor_public: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Entry in a Bitstring Status List (wirlearn.status); NULL only for certificates issued
    # before status lists, until ``flask certificates re-sign`` gives them one.
    status_list_id: Mapped[int | None] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int | None]

    supersedes: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[supersedes_id])

    __table_args__ = (
        CheckConstraint(enum_check("status", CERTIFICATE_STATUSES), name="status_known"),
        CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_date"),
        CheckConstraint("(status_list_id IS NULL) = (status_index IS NULL)", name="status_entry_complete"),
        # An index is never given out twice on one list.
        UniqueConstraint("status_list_id", "status_index", name="uq_certificates_status_entry"),
        # At most one valid certificate per enrollment, enforced by the database.
        Index(
            "uq_certificates_one_valid_per_enrollment",
            "enrollment_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )


class SigningKey(db.Model):
    """Public part of a signing key, kept for the JWKS after the key is retired.

    The private key never enters the database (see certificates.keys)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


DESIGN_IMAGE_KINDS = ("logo", "signature")
SIGNATURE_MODES = ("signatories", "electronic")


class CertificateDesign(db.Model):
    """How a series' certificates look on paper: programme line, logos, who signs.

    Issuing copies the design into the snapshot (image ids, names), so a later change never
    alters a certificate already issued; images are never changed in place (a new upload is a
    new row)."""

    __tablename__ = "certificate_designs"

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    programme_line: Mapped[str] = mapped_column(String(200), default="Landesprogramm WIR")
    # Up to three logo image ids, in the order printed (left to right).
    logo_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    signature_mode: Mapped[str] = mapped_column(String(12), default="signatories")
    # [{"name", "function", "signature_id" (image id or null)}], at most three.
    signatories: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (CheckConstraint(enum_check("signature_mode", SIGNATURE_MODES), name="signature_mode_known"),)


class DesignImage(db.Model):
    """An uploaded logo or signature image, checked (PNG or JPEG by content, size-limited)."""

    __tablename__ = "design_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    mime_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(enum_check("kind", DESIGN_IMAGE_KINDS), name="kind_known"),
        CheckConstraint("mime_type IN ('image/png', 'image/jpeg')", name="mime_known"),
    )
