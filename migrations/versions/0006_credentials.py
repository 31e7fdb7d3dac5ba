"""credentials: Bitstring Status Lists and each certificate's entry on one, certificate designs
per series (programme line, logos, signatories) and their images

Certificates issued before keep no entry (NULL) until ``flask --app wirlearn certificates
re-sign`` gives them one with a new signature (same code, same award date): signing needs the
private key, which a migration has no business reading.

Revision ID: 0006_credentials
Revises: 0005_mail_outbox
Create Date: 2026-12-01 12:06:06

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '0006_credentials'
down_revision = '0005_mail_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('design_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('mime_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('logo', 'signature')", name=op.f('ck_design_images_kind_known')),
    sa.CheckConstraint("mime_type IN ('image/png', 'image/jpeg')", name=op.f('ck_design_images_mime_known')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_design_images_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_design_images'))
    )
    with op.batch_alter_table('design_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_design_images_series_id'), ['series_id'], unique=False)

    op.create_table('status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("purpose IN ('revocation')", name=op.f('ck_status_lists_purpose_known')),
    sa.CheckConstraint('allocated >= 0 AND allocated <= size', name=op.f('ck_status_lists_allocated_in_range')),
    sa.CheckConstraint('size > 0 AND size % 8 = 0', name=op.f('ck_status_lists_size_whole_bytes')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_status_lists_series_id_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_lists'))
    )
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_lists_series_id'), ['series_id'], unique=False)

    op.create_table('certificate_designs',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('programme_line', sa.String(length=200), nullable=False),
    sa.Column('logo_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('signature_mode', sa.String(length=12), nullable=False),
    sa.Column('signatories', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("signature_mode IN ('signatories', 'electronic')", name=op.f('ck_certificate_designs_signature_mode_known')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_certificate_designs_series_id_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_certificate_designs_updated_by_id_users')),
    sa.PrimaryKeyConstraint('series_id', name=op.f('pk_certificate_designs'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_list_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('successor_public', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.create_unique_constraint('uq_certificates_status_entry', ['status_list_id', 'status_index'])
        batch_op.create_foreign_key(batch_op.f('fk_certificates_status_list_id_status_lists'), 'status_lists', ['status_list_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_certificates_status_entry_complete'), '(status_list_id IS NULL) = (status_index IS NULL)'
        )



def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_certificates_status_entry_complete'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_certificates_status_list_id_status_lists'), type_='foreignkey')
        batch_op.drop_constraint('uq_certificates_status_entry', type_='unique')
        batch_op.drop_column('successor_public')
        batch_op.drop_column('status_index')
        batch_op.drop_column('status_list_id')

    op.drop_table('certificate_designs')
    with op.batch_alter_table('status_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_lists_series_id'))

    op.drop_table('status_lists')
    with op.batch_alter_table('design_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_design_images_series_id'))

    op.drop_table('design_images')
