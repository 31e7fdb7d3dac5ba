"""The kept progress of each enrollment (``progress_records``): what ``compute_progress`` said
at the last write that could change it, so the overview and the whole-series API read rows
instead of recomputing a series. Written by ``wirlearn.progress.kept`` only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from wirlearn.extensions import db


class ProgressRecord(db.Model):
    """One enrollment's progress as last computed. Derived data: ``flask progress refresh``
    rebuilds every row from attendance, assessments and the series' rules."""

    __tablename__ = "progress_records"
    __table_args__ = (Index("ix_progress_records_series_revision", "series_id", "revision"),)

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    enrollment_status: Mapped[str] = mapped_column(Text)
    sessions_held: Mapped[int]
    sessions_attended: Mapped[int]
    sessions_upcoming: Mapped[int]
    sessions_unrecorded: Mapped[int]
    attendance_met: Mapped[bool]
    eligible: Mapped[bool]
    reachable: Mapped[bool]
    # JSON as text (the same on SQLite and PostgreSQL, and comparable, so the overview can
    # GROUP BY the results): per module [module_id, held, attended, upcoming, unrecorded, total,
    # assessment, state, points, attempts] in the series' order; {module_id: assessment};
    # {language: [missing sentences]}.
    modules: Mapped[str] = mapped_column(Text)
    module_results: Mapped[str] = mapped_column(Text)
    missing: Mapped[str] = mapped_column(Text)
    # Local time the record was computed for, and the next session end after it: from then on
    # the record is out of date (a session moved from "to come" to "ended") until refreshed.
    computed_at: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    # The change counter (core.changes) of the commit that last wrote the record, stamped under
    # the counter's row lock: the overview's per-worker figures built at counter value V re-read
    # only the records with a revision above V.
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
