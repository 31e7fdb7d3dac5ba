"""LTI 1.3: the platforms registered with this tool, the tool's own key pair, launches in flight,
the link of a platform's user (``sub``) to a wirlearn account and of a course (context) to a
series, line items and the scores waiting to be sent, and roster syncs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wirlearn.core.dbtypes import JSONType, enum_check
from wirlearn.core.encryption import EncryptedString
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

PLATFORM_STATUSES = ("active", "pending")
SCORE_STATUSES = ("pending", "sent", "failed")
SYNC_STATUSES = ("queued", "running", "done", "failed")
LINE_ITEM_KINDS = ("module", "eligibility")


class EncryptedText(EncryptedString):
    """Like ``EncryptedString`` for values longer than 255 characters (a PEM private key)."""

    impl = Text
    cache_ok = True


class LtiToolKey(db.Model):
    """The tool's RSA key pair for signing its messages to platforms (deep linking responses,
    client assertions). Separate from the certificate signing keys."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(EncryptedText())
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class LtiPlatform(db.Model):
    """One registration: a platform (issuer) and the client id it gave this tool."""

    __tablename__ = "lti_platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_login_url: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str] = mapped_column(String(500))
    jwks_url: Mapped[str] = mapped_column(String(500))
    # "pending": registered dynamically, waiting for an admin to confirm; launches are refused.
    status: Mapped[str] = mapped_column(String(10), default="active")
    source: Mapped[str] = mapped_column(String(10), default="manual")
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    jwks_fetched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("issuer", "client_id"),
        CheckConstraint(enum_check("status", PLATFORM_STATUSES), name="status_known"),
    )


class LtiLaunch(db.Model):
    """A launch from login initiation to landing: ``state`` and ``nonce`` (single use, short
    lived), then the checked launch and a one-time hand-over token to the page it leads to."""

    __tablename__ = "lti_launches"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    target_link_uri: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[datetime | None]
    handoff_used_at: Mapped[datetime | None]
    # What the checked id_token said that the next steps need (no token, no signature).
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    platform: Mapped[LtiPlatform] = relationship()


class LtiUserLink(db.Model):
    """A platform's user (``sub`` per registration) is this wirlearn account."""

    __tablename__ = "lti_user_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("platform_id", "sub"), UniqueConstraint("platform_id", "user_id"))


class LtiContext(db.Model):
    """A course on a platform, linked to a series; with the service endpoints its launches named."""

    __tablename__ = "lti_contexts"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(300), default="")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()

    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)


class LtiLineItem(db.Model):
    """A column in the course's gradebook: one per module, one for eligibility."""

    __tablename__ = "lti_line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(300), default="")
    score_maximum: Mapped[Decimal] = mapped_column(Numeric(9, 2))

    __table_args__ = (
        UniqueConstraint("context_id", "kind", "module_id"),
        CheckConstraint(enum_check("kind", LINE_ITEM_KINDS), name="kind_known"),
    )


class LtiScore(db.Model):
    """A result waiting to be sent to a gradebook (or sent, or given up); retried by a job."""

    __tablename__ = "lti_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    score_given: Mapped[Decimal] = mapped_column(Numeric(9, 2))
    score_maximum: Mapped[Decimal] = mapped_column(Numeric(9, 2))
    comment: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(enum_check("status", SCORE_STATUSES), name="status_known"),
        CheckConstraint(enum_check("kind", LINE_ITEM_KINDS), name="kind_known"),
    )


class LtiSync(db.Model):
    """One roster sync (Names and Role Provisioning Services) of a course into its series."""

    __tablename__ = "lti_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)

    context: Mapped[LtiContext] = relationship()

    __table_args__ = (CheckConstraint(enum_check("status", SYNC_STATUSES), name="status_known"),)
