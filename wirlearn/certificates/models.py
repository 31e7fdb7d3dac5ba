"""Issued certificates and the public halves of the keys that signed them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
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

    supersedes: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[supersedes_id])

    __table_args__ = (
        CheckConstraint(enum_check("status", CERTIFICATE_STATUSES), name="status_known"),
        CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_date"),
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
