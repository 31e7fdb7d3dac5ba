"""Password hashing (argon2id through argon2-cffi) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    return hasher().hash(password)


# Verifying against this keeps the time of a failed sign-in independent of whether the account exists.
_DUMMY_HASH_CACHE: dict[tuple, str] = {}


def _dummy_hash() -> str:
    config = current_app.config
    key = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    if key not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[key] = hasher().hash("no such account")
    return _DUMMY_HASH_CACHE[key]


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; runs a full hash even when there is no hash to compare."""
    try:
        return hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


MAX_PASSWORD_LENGTH = 256


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    """Why ``password`` is not acceptable, in the visitor's language; empty if it is.

    Length and a list of known-bad passwords, no composition rules (NIST SP 800-63B, ASVS 2.1).
    """
    from wirlearn.auth.common_passwords import is_common_password

    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=minimum))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_("Das Passwort darf höchstens %(n)d Zeichen lang sein.", n=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if is_common_password(lowered):
        problems.append(_("Dieses Passwort ist zu verbreitet und leicht zu erraten. Bitte wählen Sie ein anderes."))
    elif email and lowered in {email.lower(), email.split("@")[0].lower()}:
        problems.append(_("Das Passwort darf nicht Ihre E-Mail-Adresse sein."))
    elif name and lowered == name.lower():
        problems.append(_("Das Passwort darf nicht Ihr Name sein."))
    return problems
