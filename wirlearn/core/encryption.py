"""Secrets kept at rest encrypted with keys from the environment (Fernet: AES-128-CBC + HMAC-SHA256,
from ``cryptography``).

``TOTP_ENCRYPTION_KEYS``: comma-separated Fernet keys; the first encrypts, every one decrypts,
so a key is rotated by putting a new one in front and running ``flask --app wirlearn totp
rotate-key``. Without the setting a key derived from ``SECRET_KEY`` is used (and always tried
last when decrypting, so switching to explicit keys later needs no other step).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"


class EncryptionKeyError(RuntimeError):
    """A stored secret cannot be read with the configured keys."""


def derived_key(secret_key: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(b"wirlearn-at-rest:" + secret_key.encode()).digest())


def keys_from(config) -> list[bytes]:
    configured = [key.strip().encode() for key in (config.get("TOTP_ENCRYPTION_KEYS") or "").split(",") if key.strip()]
    return [*configured, derived_key(config["SECRET_KEY"])]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys_from(current_app.config)])


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The clear text; a value without the prefix is one stored before encryption (migrated)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise EncryptionKeyError("No configured key in TOTP_ENCRYPTION_KEYS decrypts a stored secret.") from error


def rotate(stored: str) -> str:
    """``stored`` encrypted with the first key (for key rotation)."""
    if not stored.startswith(PREFIX):
        return encrypt(stored)
    try:
        return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode()).decode("ascii")
    except InvalidToken as error:
        raise EncryptionKeyError("No configured key in TOTP_ENCRYPTION_KEYS decrypts a stored secret.") from error


class EncryptedString(TypeDecorator):
    """A text column whose values are encrypted in the database and clear in Python."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
