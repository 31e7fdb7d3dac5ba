"""Status lists: one sequence of Bitstring Status Lists per issuer (a series' issuing body).

The bits are not stored: a certificate keeps its list and index, and the list is built from the
certificates that are no longer valid (revoked or superseded). So revoking flips the bit in the
same transaction that changes the certificate, and the two can never disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

STATUS_PURPOSES = ("revocation",)


class StatusList(db.Model):
    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The issuer the list belongs to: the credentials of one series name the same issuer.
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    size: Mapped[int] = mapped_column(default=131_072)
    allocated: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("purpose IN ('revocation')", name="purpose_known"),
        CheckConstraint("size > 0 AND size % 8 = 0", name="size_whole_bytes"),
        CheckConstraint("allocated >= 0 AND allocated <= size", name="allocated_in_range"),
    )
