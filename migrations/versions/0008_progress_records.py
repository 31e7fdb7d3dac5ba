"""progress: kept progress records, one per enrollment (issue #15)

Revision ID: 0008_progress_records
Revises: 0005_mail_outbox
Create Date: 2026-12-01 12:50:00

The table starts empty: reading computes a missing record afresh, and
``flask --app wirlearn progress refresh`` (or the periodic job) writes them all.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_progress_records"
down_revision = "0007_seminar"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "progress_records",
        sa.Column("enrollment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_status", sa.Text(), nullable=False),
        sa.Column("sessions_held", sa.Integer(), nullable=False),
        sa.Column("sessions_attended", sa.Integer(), nullable=False),
        sa.Column("sessions_upcoming", sa.Integer(), nullable=False),
        sa.Column("sessions_unrecorded", sa.Integer(), nullable=False),
        sa.Column("attendance_met", sa.Boolean(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("modules", sa.Text(), nullable=False),
        sa.Column("module_results", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_progress_records_enrollment_id_enrollments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_progress_records_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("enrollment_id", name=op.f("pk_progress_records")),
    )
    with op.batch_alter_table("progress_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_records_series_id"), ["series_id"], unique=False)


def downgrade():
    with op.batch_alter_table("progress_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_records_series_id"))
    op.drop_table("progress_records")
