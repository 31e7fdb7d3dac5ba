"""Signing keys: RSA 3072, private halves in files (or the environment), public halves in the DB.

Where the private key comes from, in this order:
1. ``SIGNING_KEY_PEM`` (config / environment): one PEM, for deployments that inject secrets;
2. ``SIGNING_KEY_DIR`` (default ``instance/keys``): the file ``signing-key.pem``, mode 0600,
   created on first use if it is missing.

The key in use is always the one in that place; its public half is registered in
``signing_keys`` the first time it signs, and every other registered key is then marked retired.
Retired keys stay in the JWKS forever so old certificates keep verifying; the private half of a
rotated key is overwritten (nothing can sign with it any more). The private key never enters the
database, the repository or a log.

The key id (``kid``) is the RFC 7638 thumbprint of the public key, so anyone can recompute it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from flask_babel import gettext as _
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from wirlearn.certificates.models import SigningKey
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

ALGORITHM = "RS256"
KEY_BITS = 3072
MIN_KEY_BITS = 3072
KEY_FILE = "signing-key.pem"

log = logging.getLogger(__name__)


class SigningKeyError(Exception):
    """A key cannot be used; the message is German and says what to do."""


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]
    source: str  # "environment" or the file path, for messages


# Loaded key objects per process: parsing a 3072-bit PEM costs milliseconds, a dict lookup does not.
_private_cache: dict[tuple, LoadedKey] = {}
_public_cache: dict[str, tuple[str, rsa.RSAPublicKey]] = {}
_lock = threading.Lock()


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The public JWK (kty, n, e) with kid, use and alg."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    core = {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}
    return core | {"kid": thumbprint(core), "use": "sig", "alg": ALGORITHM}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of an RSA key."""
    canonical = json.dumps({"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _parse_private(pem: bytes, source: str) -> LoadedKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(_("Der Signaturschlüssel (%(source)s) ist kein lesbarer PEM-Schlüssel.", source=source)) from error
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise SigningKeyError(
            _(
                "Der Signaturschlüssel (%(source)s) muss ein RSA-Schlüssel mit mindestens %(bits)d Bit sein.",
                source=source,
                bits=MIN_KEY_BITS,
            )
        )
    jwk = public_jwk(key.public_key())
    return LoadedKey(jwk["kid"], key, jwk, source)


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def key_dir() -> Path:
    configured = current_app.config.get("SIGNING_KEY_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def key_path() -> Path:
    return key_dir() / KEY_FILE


def _write_private(path: Path, key: rsa.RSAPrivateKey, *, replace: bool) -> bool:
    """Write ``key`` to ``path`` with mode 0600, atomically. Without ``replace`` an existing file
    wins (another process created one first) and False is returned."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails if the file exists: never overwrite a key by accident
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _load_file(path: Path) -> LoadedKey:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("signing key %s is readable by others (mode %o); it should be 0600", path, stat.S_IMODE(info.st_mode))
    cache_key = ("file", str(path), info.st_ino, info.st_mtime_ns, info.st_size)
    loaded = _private_cache.get(cache_key)
    if loaded is None:
        loaded = _parse_private(path.read_bytes(), str(path))
        with _lock:
            _private_cache[cache_key] = loaded
    return loaded


def current_key(*, create: bool = True) -> LoadedKey:
    """The configured private key, created (file mode 0600) if none exists and ``create``."""
    pem = current_app.config.get("SIGNING_KEY_PEM")
    if pem:
        data = pem.encode() if isinstance(pem, str) else pem
        cache_key = ("environment", hashlib.sha256(data).hexdigest())
        loaded = _private_cache.get(cache_key)
        if loaded is None:
            loaded = _parse_private(data, "SIGNING_KEY_PEM")
            with _lock:
                _private_cache[cache_key] = loaded
        return loaded
    path = key_path()
    if not path.exists():
        if not create:
            raise SigningKeyError(_("Es gibt noch keinen Signaturschlüssel."))
        if _write_private(path, generate_private_key(), replace=False):
            log.info("created signing key %s", path)
    return _load_file(path)


def register_public_key(loaded: LoadedKey) -> SigningKey:
    """Make sure the public half of ``loaded`` is in ``signing_keys`` and is the one active key.

    Runs inside the caller's transaction (flush, no commit)."""
    row = db.session.get(SigningKey, loaded.kid)
    if row is None:
        # Two processes may register the same new key at once: the second insert does nothing.
        # (No savepoint: on SQLite a savepoint opened first would commit on release.)
        insert = sqlite_insert if db.engine.dialect.name == "sqlite" else postgresql_insert
        db.session.execute(
            insert(SigningKey)
            .values(kid=loaded.kid, public_jwk=loaded.public_jwk, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["kid"])
        )
        db.session.execute(
            update(SigningKey)
            .where(SigningKey.kid != loaded.kid, SigningKey.retired_at.is_(None))
            .values(retired_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        row = db.session.get(SigningKey, loaded.kid)
    elif row.retired_at is not None:
        raise SigningKeyError(
            _(
                "Der konfigurierte Signaturschlüssel %(kid)s ist zurückgezogen. "
                "Erzeugen Sie mit „flask --app wirlearn keys rotate“ einen neuen.",
                kid=loaded.kid,
            )
        )
    return row


def signing_key() -> LoadedKey:
    """The key to sign with now, registered in the database (created on first use)."""
    loaded = current_key()
    register_public_key(loaded)
    return loaded


def rotate() -> tuple[str | None, LoadedKey]:
    """Replace the key in the key folder by a new one and register it (old one retired).

    Returns the old kid (if any) and the new key. With SIGNING_KEY_PEM the operator rotates by
    changing that setting instead."""
    if current_app.config.get("SIGNING_KEY_PEM"):
        raise SigningKeyError(_("Der Schlüssel kommt aus SIGNING_KEY_PEM: Ersetzen Sie dort den Schlüssel, um ihn zu wechseln."))
    path = key_path()
    old = _load_file(path).kid if path.exists() else None
    # The file is the source of truth for the active key: replace it first, then the database
    # follows (register_public_key() retires the others), also on a later first use if this commit fails.
    _write_private(path, generate_private_key(), replace=True)
    new = _load_file(path)
    register_public_key(new)
    return old, new


def jwks() -> dict[str, list[dict[str, Any]]]:
    """Every public key that ever signed, retired ones included; never a private part."""
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid))
    keys = []
    for row in rows:
        jwk = {name: row.public_jwk[name] for name in ("kty", "n", "e")}
        keys.append(jwk | {"kid": row.kid, "use": "sig", "alg": ALGORITHM})
    return {"keys": keys}


def public_key(kid: str, jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    """The public key object for a registered JWK, parsed once per process.

    Only the public members n and e are read, so a stray private member could never be used."""
    fingerprint = f"{jwk['n']}.{jwk['e']}"
    cached = _public_cache.get(kid)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]})
    if not isinstance(key, rsa.RSAPublicKey):  # pragma: no cover - from_jwk with n/e only yields public keys
        raise SigningKeyError("not an RSA public key")
    with _lock:
        _public_cache[kid] = (fingerprint, key)
    return key
