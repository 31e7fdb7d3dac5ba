"""users.totp_last_counter: a TOTP code is accepted only once (ASVS 2.8.4)

Revision ID: 0002_totp_last_counter
Revises: 0001
Create Date: 2026-11-25 13:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002_totp_last_counter"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_counter", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_counter")
