"""People who sign in, and their roles."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wirlearn.core.dbtypes import enum_check
from wirlearn.core.encryption import EncryptedString
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

if TYPE_CHECKING:
    from wirlearn.programme.models import Region

ROLES = ("admin", "trainer", "coordinator")


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # Stable, opaque identity for credentials (urn:uuid:…); never the database id.
    subject_uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    # Part of the login cookie: changing it ends every session of this user.
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    # Part of signed password links: a used link stops working.
    password_changed_at: Mapped[datetime | None]
    preferred_locale: Mapped[str | None] = mapped_column(String(5))
    # Encrypted at rest with TOTP_ENCRYPTION_KEYS (wirlearn/core/encryption.py).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString())
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The time step of the last accepted TOTP code: a code is accepted only once.
    totp_last_counter: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    anonymized_at: Mapped[datetime | None]

    region: Mapped[Region | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    # Flask-Login reads is_active; the column is "active" so the property can stay read-only.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str] | frozenset[str]) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        keep = [row for row in self.role_rows if row.role in roles]
        have = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=role) for role in sorted(set(roles) - have)]

    def end_all_sessions(self) -> None:
        """Invalidate every login cookie and API token issued so far."""
        self.session_nonce = new_session_nonce()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (CheckConstraint(enum_check("role", ROLES), name="role_known"),)


class RecoveryCode(db.Model):
    """One-time codes for two-factor sign-in, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)
