"""progress: kept records of series without modules are dropped, so they are computed afresh under the rule that such a series makes nobody eligible

Revision ID: 0011_progress_without_modules
Revises: 0010_progress_revision
Create Date: 2026-12-01 19:25:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_progress_without_modules'
down_revision = '0010_progress_revision'
branch_labels = None
depends_on = None


def upgrade():
    # A missing record is computed on the next read and written by the periodic refresh.
    op.execute('DELETE FROM progress_records WHERE series_id NOT IN (SELECT series_id FROM modules)')


def downgrade():
    # Nothing to restore: the records are derived data and are computed again when read.
    pass
