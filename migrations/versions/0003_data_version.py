"""data_version: a change counter that caches of whole-series results are keyed by

Revision ID: 0003_data_version
Revises: 0002_totp_last_counter
Create Date: 2026-11-25 17:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003_data_version"
down_revision = "0002_totp_last_counter"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade():
    op.drop_table("data_version")
