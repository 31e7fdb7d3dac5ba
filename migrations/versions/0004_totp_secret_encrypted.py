"""users.totp_secret encrypted at rest (TOTP_ENCRYPTION_KEYS): wider column, existing secrets encrypted

Revision ID: 0004_totp_secret_encrypted
Revises: 0003_data_version
Create Date: 2026-12-01 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_totp_secret_encrypted"
down_revision = "0003_data_version"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _rewrite(convert) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))).all()
    for user_id, secret in rows:
        connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=convert(secret)))


def upgrade():
    from wirlearn.core import encryption

    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(64), type_=sa.String(255))
    _rewrite(lambda secret: secret if secret.startswith(encryption.PREFIX) else encryption.encrypt(secret))


def downgrade():
    from wirlearn.core import encryption

    _rewrite(encryption.decrypt)
    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(255), type_=sa.String(64))
