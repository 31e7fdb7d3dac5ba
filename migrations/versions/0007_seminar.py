"""seminar: the minute after which a self check-in counts as late, and whether sessions held
before someone's enrolment count for them, per series

Revision ID: 0007_seminar
Revises: 0005_mail_outbox
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007_seminar'
down_revision = '0006_credentials'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_late_after_minutes', sa.Integer(), server_default='15', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_series_checkin_late_after_range'), 'checkin_late_after_minutes BETWEEN 0 AND 600'
        )
        # Series that exist already keep counting every session, as they did so far; new series
        # follow the new default (sessions before the enrolment count neither way).
        batch_op.add_column(sa.Column('sessions_before_enrollment_count', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.alter_column('sessions_before_enrollment_count', server_default=sa.false())


def downgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('sessions_before_enrollment_count')
        batch_op.drop_constraint(op.f('ck_series_checkin_late_after_range'), type_='check')
        batch_op.drop_column('checkin_late_after_minutes')
