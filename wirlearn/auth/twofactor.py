"""Two-factor sign-in with TOTP (RFC 6238, authenticator apps) and one-time recovery codes.

The secret is kept on the user row; while ``totp_enabled`` is false it is only a pending secret
of an enrolment that has not been confirmed yet. A code is accepted once: the time step it
belongs to is stored and an equal or older step is refused (replay). Recovery codes are random
(80 bits), shown once and stored as SHA-256 hashes; each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time
import unicodedata
from dataclasses import dataclass

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select, update

from wirlearn.audit.services import record
from wirlearn.auth.models import RecoveryCode, User
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db

ISSUER = "wirlearn"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: typed from paper
RECOVERY_CODE_LENGTH = 16  # 16 characters of 31: about 79 bits
# One step either side: clocks of phones drift, and a code typed at the end of its 30 s counts.
VALID_WINDOW = 1


def required_for(user: User) -> bool:
    """True when this user must use a second factor (configurable per role)."""
    config = current_app.config
    if user.has_role("admin") and config.get("REQUIRE_2FA_FOR_ADMINS"):
        return True
    return bool(user.has_role("trainer") and config.get("REQUIRE_2FA_FOR_TRAINERS"))


def start_enrolment(user: User) -> str:
    """A fresh pending secret for ``user`` (kept until confirmed or replaced)."""
    if user.totp_enabled:
        raise ValueError("two-factor sign-in is already on")
    user.totp_secret = pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends
    user.totp_last_counter = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_url(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URL (the CSP allows data: images)."""
    import qrcode  # imported where used: workers that never set up 2FA do not load it
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_secret(secret: str) -> str:
    """The secret in groups of four for typing it into an app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def _matching_counter(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_datetime(now))
    for counter in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _datetime(now: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(now, tz=UTC)


def normalize_code(code: str) -> str:
    """A typed code without spaces and hyphens, full-width characters folded (NFKC), lower case.
    Other non-ASCII letters and digits (Arabic-Indic, superscript …) stay and make it invalid."""
    folded = unicodedata.normalize("NFKC", code or "").lower()
    return "".join(character for character in folded if character.isalnum())


def _is_totp(normalized: str) -> bool:
    return len(normalized) == 6 and normalized.isascii() and normalized.isdigit()


def looks_like_totp(code: str) -> bool:
    return _is_totp(normalize_code(code))


def verify_totp(user: User, code: str, now: float | None = None) -> bool:
    """True for a current code of ``user`` that has not been used before; remembers its step."""
    code = normalize_code(code)
    if not user.totp_secret or not _is_totp(code):
        return False
    counter = _matching_counter(user.totp_secret, code, time.time() if now is None else now)
    if counter is None:
        return False
    # The guarded UPDATE makes two requests racing with the same code agree on one winner.
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_counter.is_(None)) | (User.totp_last_counter < counter))
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_counter = counter
    return True


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Switch two-factor sign-in on when ``code`` fits the pending secret; the new recovery codes."""
    if user.totp_enabled or not user.totp_secret or not verify_totp(user, code):
        return None
    user.totp_enabled = True
    codes = new_recovery_codes(user)
    record("auth.2fa_enabled", "user", user.id, subject_user_id=user.id)
    return codes


def disable(user: User, *, reason: str) -> None:
    """Switch two-factor sign-in off and forget the secret and every recovery code."""
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record("auth.2fa_disabled", "user", user.id, subject_user_id=user.id, after={"reason": reason})


# --- recovery codes ---------------------------------------------------------------------------


def _hash_code(code: str) -> str:
    return hashlib.sha256(("wirlearn-recovery:" + normalize_code(code)).encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[index : index + 4] for index in range(0, RECOVERY_CODE_LENGTH, 4))


def new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of ``user`` with new ones, returned in clear this once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)) for code in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """True once for each unused recovery code of ``user``."""
    normalized = normalize_code(code)
    if len(normalized) != RECOVERY_CODE_LENGTH or not set(normalized) <= set(RECOVERY_ALPHABET):
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


@dataclass(frozen=True)
class SecondFactorResult:
    ok: bool
    method: str | None = None  # "totp" | "recovery"


def check_second_factor(user: User, code: str) -> SecondFactorResult:
    """A TOTP code or a recovery code of ``user``; audits a failure."""
    if user.totp_enabled:
        if looks_like_totp(code):
            if verify_totp(user, code):
                return SecondFactorResult(True, "totp")
        elif use_recovery_code(user, code):
            record("auth.recovery_code_used", "user", user.id, actor_id=user.id, subject_user_id=user.id)
            return SecondFactorResult(True, "recovery")
    record("auth.2fa_failed", "user", user.id, actor_id=user.id, subject_user_id=user.id)
    return SecondFactorResult(False)
