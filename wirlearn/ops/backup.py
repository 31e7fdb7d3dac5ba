"""Backups of the whole database: SQLite through its online backup API (consistent while the
app runs), PostgreSQL through pg_dump / pg_restore in the custom format.

Functions raise ``BackupError`` with a German message an operator can act on.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from wirlearn.ops import encrypted

PG_DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED_TABLES = ("alembic_version", "users", "audit_events")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in German."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    engine: str
    encrypted: bool = False


def engine_name(url: str | URL) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Datenbanken vom Typ „{backend}“ werden nicht unterstützt.")
    return backend


@dataclass(frozen=True)
class Encryption:
    """Where the key comes from: BACKUP_ENCRYPTION_KEY or BACKUP_PASSPHRASE (none: plain file)."""

    key: str | None = None
    passphrase: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.key or self.passphrase)


def backup(url: str | URL, target: str | Path, encryption: Encryption | None = None) -> BackupResult:
    """Write a complete copy of the database at ``url`` to ``target`` (replaced atomically),
    encrypted when a key or passphrase is given."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    engine = engine_name(url)
    handle, temporary = tempfile.mkstemp(prefix=".wirlearn-backup-", dir=target.parent)
    os.close(handle)
    try:
        if engine == "sqlite":
            _backup_sqlite(_sqlite_path(url), Path(temporary))
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={temporary}"], url)
        if encryption and encryption.enabled:
            plain, temporary = temporary, temporary + ".enc"
            try:
                encrypted.encrypt_file(Path(plain), Path(temporary), key=encryption.key, passphrase=encryption.passphrase)
            except ValueError as error:
                raise BackupError(str(error)) from error
            finally:
                Path(plain).unlink(missing_ok=True)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, engine, bool(encryption and encryption.enabled))


def restore(url: str | URL, source: str | Path, encryption: Encryption | None = None) -> str:
    """Replace the content of the database at ``url`` with the backup in ``source``.

    Returns the schema revision of the backup (run ``flask db upgrade`` afterwards if it is older
    than the code's). The file is checked first; on PostgreSQL the restore is one transaction.
    An encrypted backup is decrypted into a temporary file next to it first."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Die Datei {source} gibt es nicht.")
    if encrypted.is_encrypted(source):
        encryption = encryption or Encryption()
        handle, plain = tempfile.mkstemp(prefix=".wirlearn-restore-", dir=source.resolve().parent)
        os.close(handle)
        try:
            try:
                encrypted.decrypt_file(source, Path(plain), key=encryption.key, passphrase=encryption.passphrase)
            except encrypted.DecryptionError as error:
                raise BackupError(str(error)) from error
            return restore(url, plain)
        finally:
            Path(plain).unlink(missing_ok=True)
    engine = engine_name(url)
    with source.open("rb") as handle:
        head = handle.read(16)
    if engine == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError("Die Datei ist keine SQLite-Sicherung von wirlearn.")
        revision = _check_sqlite_backup(source)
        _restore_sqlite(source, _sqlite_path(url))
        return revision
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupError("Die Datei ist keine PostgreSQL-Sicherung (pg_dump, custom format) von wirlearn.")
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(source),
        ],
        url,
        database_flag=True,
    )
    return _pg_revision(url)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Eine Datenbank im Arbeitsspeicher lässt sich nicht sichern.")
    return Path(database)


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"Die Datenbankdatei {source} gibt es nicht.")
    # The online backup API copies a consistent snapshot even while other connections write.
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("Die Sicherung ist beschädigt; bitte erneut versuchen.")


def _check_sqlite_backup(source: Path) -> str:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as connection:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("Die Sicherung ist beschädigt.")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [name for name in REQUIRED_TABLES if name not in tables]
            if missing:
                raise BackupError("Die Datei ist keine Sicherung von wirlearn (es fehlen Tabellen).")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Die Sicherung lässt sich nicht lesen: {error}") from error
    return row[0] if row else ""


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Copying page by page into the open database lets running app processes see the restored
    # content at their next query instead of a file that was swapped under them.
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


# --- PostgreSQL -------------------------------------------------------------------------------


def _libpq_environment(url: str | URL) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore through the environment, so the password never
    shows in the process list."""
    parsed = make_url(url)
    environment = dict(os.environ)
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value is not None:
            environment[key] = str(value)
    return environment


def _run(arguments: list[str], url: str | URL, *, database_flag: bool = False) -> None:
    program = shutil.which(arguments[0])
    if program is None:
        raise BackupError(f"{arguments[0]} ist nicht installiert (Debian: Paket postgresql-client).")
    environment = _libpq_environment(url)
    if database_flag:
        arguments = [*arguments[:-1], f"--dbname={environment.get('PGDATABASE', '')}", arguments[-1]]
    # pg_dump/pg_restore found on PATH, fixed options, the file name as one argument, no shell.
    command = [program, *arguments[1:]]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{arguments[0]} ist fehlgeschlagen: {result.stderr.strip()[-2000:]}")


def _pg_revision(url: str | URL) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
    finally:
        engine.dispose()
