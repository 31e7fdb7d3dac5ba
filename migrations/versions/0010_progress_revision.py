"""progress: each kept progress record stamped with the change counter of the commit that wrote it, so the overview re-reads only the records written since it was built

Revision ID: 0010_progress_revision
Revises: 0009_lti
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_progress_revision'
down_revision = '0009_lti'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_records') as batch_op:
        batch_op.add_column(sa.Column('revision', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_progress_records_series_revision', ['series_id', 'revision'])


def downgrade():
    with op.batch_alter_table('progress_records') as batch_op:
        batch_op.drop_index('ix_progress_records_series_revision')
        batch_op.drop_column('revision')
