"""Encrypted backup files: Fernet (from ``cryptography``) over 1 MiB chunks, streamed, so a
backup of any size never has to fit in memory.

The key comes from the environment: ``BACKUP_ENCRYPTION_KEY`` (a Fernet key, from
``Fernet.generate_key()``) or ``BACKUP_PASSPHRASE`` (stretched with scrypt and a random salt kept
in the file). Each chunk carries its number and whether it is the last, inside the encryption,
so chunks cannot be reordered, dropped or the file cut short unnoticed.
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"WIRLEARN-ENCRYPTED-BACKUP-1\n"
CHUNK = 1024 * 1024
SALT_BYTES = 16


class DecryptionError(Exception):
    """Wrong key or passphrase, or a damaged file."""


def is_encrypted(path: str | Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _fernet(mode: bytes, salt: bytes, key: str | None, passphrase: str | None) -> Fernet:
    if mode == b"K":
        if not key:
            raise DecryptionError("Die Sicherung ist mit einem Schlüssel verschlüsselt: BACKUP_ENCRYPTION_KEY setzen.")
        try:
            return Fernet(key.encode())
        except ValueError as error:
            raise DecryptionError("BACKUP_ENCRYPTION_KEY ist kein gültiger Schlüssel (Fernet, 44 Zeichen).") from error
    if not passphrase:
        raise DecryptionError("Die Sicherung ist mit einer Passphrase verschlüsselt: BACKUP_PASSPHRASE setzen.")
    stretched = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    return Fernet(base64.urlsafe_b64encode(stretched))


def encrypt_file(source: Path, target: Path, *, key: str | None, passphrase: str | None) -> None:
    """Write ``source`` encrypted to ``target`` (a key wins over a passphrase)."""
    mode = b"K" if key else b"P"
    salt = bytes(SALT_BYTES) if key else os.urandom(SALT_BYTES)
    try:
        fernet = _fernet(mode, salt, key, passphrase)
    except DecryptionError as error:
        raise ValueError(str(error)) from error
    with source.open("rb") as plain, target.open("wb") as out:
        out.write(MAGIC + mode + salt)
        index, data = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            token = fernet.encrypt(struct.pack(">Q?", index, not following) + data)
            out.write(struct.pack(">I", len(token)) + token)
            if not following:
                break
            index, data = index + 1, following


def decrypt_file(source: Path, target: Path, *, key: str | None, passphrase: str | None) -> None:
    with source.open("rb") as sealed, target.open("wb") as out:
        if sealed.read(len(MAGIC)) != MAGIC:
            raise DecryptionError("Die Datei ist keine verschlüsselte Sicherung von wirlearn.")
        mode, salt = sealed.read(1), sealed.read(SALT_BYTES)
        fernet = _fernet(mode, salt, key, passphrase)
        expected, last = 0, False
        while not last:
            length = sealed.read(4)
            if len(length) != 4:
                raise DecryptionError("Die verschlüsselte Sicherung ist unvollständig.")
            token = sealed.read(struct.unpack(">I", length)[0])
            try:
                chunk = fernet.decrypt(token)
            except InvalidToken as error:
                raise DecryptionError("Falscher Schlüssel bzw. falsche Passphrase, oder die Datei ist beschädigt.") from error
            index, last = struct.unpack(">Q?", chunk[:9])
            if index != expected:
                raise DecryptionError("Die verschlüsselte Sicherung ist beschädigt (Teile vertauscht oder fehlend).")
            out.write(chunk[9:])
            expected += 1
        if sealed.read(1):
            raise DecryptionError("Die verschlüsselte Sicherung ist beschädigt (Daten nach dem Ende).")
