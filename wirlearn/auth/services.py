"""Signing in, password links and password changes."""

from __future__ import annotations

import hmac
import time
import unicodedata
from dataclasses import dataclass

from flask import current_app, session
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from wirlearn.audit.services import record
from wirlearn.auth.limits import PENDING_KEY, remember_device
from wirlearn.auth.models import User
from wirlearn.auth.passwords import hash_password, needs_rehash, verify_password
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db


def normalize_email(email: str) -> str:
    """An address as it is stored and compared: compatibility characters folded (NFKC: full-width
    letters, ligatures, superscripts), lower case, without surrounding space."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def find_user_id(email: str) -> int | None:
    return db.session.scalar(select(User.id).where(User.email == normalize_email(email)))


def load_user_from_cookie(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds "id:nonce"; a changed nonce ends the session."""
    raw_id, _, nonce = (user_id or "").partition(":")
    if not raw_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_nonce, nonce):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Audits both outcomes."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        record(
            "auth.login_failed",
            "user",
            user.id if user else None,
            actor_id=user.id if user else None,
            after={"email": normalize_email(email)[:254], "reason": "inactive" if ok and user else "credentials"},
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, *, second_factor: str | None = None) -> None:
    """Renew the session at sign-in (no fixation) and stamp its start for the lifetime checks."""
    from flask_login import login_user

    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=False, fresh=True)
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now
    user.last_login_at = utcnow()
    remember_device(user.id)
    record("auth.login", "user", user.id, actor_id=user.id, after={"second_factor": second_factor} if second_factor else None)


def end_session(user: User | None, *, everywhere: bool = True) -> None:
    from flask_login import logout_user

    if user is not None and everywhere:
        user.end_all_sessions()
        record("auth.logout", "user", user.id, actor_id=user.id)
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


# --- the second step of signing in -----------------------------------------------------------

PENDING_SECONDS = 300


def begin_second_step(user: User, next_url: str | None) -> None:
    """Password accepted; remember who is half signed in (for a few minutes, in this browser only)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING_KEY] = {"uid": user.id, "nonce": user.session_nonce, "at": int(time.time()), "next": next_url}


def pending_user(now: float | None = None) -> User | None:
    """The user between password and second factor, or None (none, expired, or since changed)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    now = time.time() if now is None else now
    if now - int(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("uid")) if isinstance(pending.get("uid"), int) else None
    if user is None or not user.active or not hmac.compare_digest(user.session_nonce, str(pending.get("nonce"))):
        return None
    return user


def pending_next_url() -> str | None:
    pending = session.get(PENDING_KEY)
    return pending.get("next") if isinstance(pending, dict) else None


@dataclass(frozen=True)
class SessionState:
    expired: bool
    reason: str | None = None


def check_session_age(now: float | None = None) -> SessionState:
    """Idle timeout and absolute lifetime of a signed-in session (both configurable)."""
    if "_user_id" not in session:
        return SessionState(expired=False)
    now = time.time() if now is None else now
    config = current_app.config
    login_at = session.get("login_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - login_at > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return SessionState(expired=True, reason="absolute")
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return SessionState(expired=True, reason="idle")
    if now - seen_at > 30:  # refresh now and then, not on every request
        session["seen_at"] = int(now)
    return SessionState(expired=False)


# --- password links ---------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wirlearn.set-password")


def _password_state(user: User) -> str:
    """Changes whenever the password does, so a link works only until it has been used."""
    return user.password_changed_at.isoformat() if user.password_changed_at else "never"


PASSWORD_LINK_PURPOSES = ("invitation", "reset")


def make_password_token(user: User, purpose: str = "invitation") -> str:
    """A signed link token to set the password: an invitation lives ``PASSWORD_LINK_HOURS``, a
    reset link ``PASSWORD_RESET_MINUTES``. Either stops working once any link has been used."""
    if purpose not in PASSWORD_LINK_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    return _serializer().dumps({"uid": user.id, "state": _password_state(user), "p": purpose})


class PasswordLinkError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" | "invalid" | "used"


def _link_lifetimes() -> dict[str, int]:
    config = current_app.config
    return {"invitation": config["PASSWORD_LINK_HOURS"] * 3600, "reset": config["PASSWORD_RESET_MINUTES"] * 60}


def user_for_password_token(token: str) -> User:
    lifetimes = _link_lifetimes()
    try:
        data, signed_at = _serializer().loads(token, max_age=max(lifetimes.values()), return_timestamp=True)
    except SignatureExpired as error:
        raise PasswordLinkError("expired") from error
    except BadSignature as error:
        raise PasswordLinkError("invalid") from error
    if not isinstance(data, dict):
        raise PasswordLinkError("invalid")
    purpose = data.get("p", "invitation")
    if purpose not in lifetimes:
        raise PasswordLinkError("invalid")
    if (utcnow() - signed_at.replace(tzinfo=None)).total_seconds() > lifetimes[purpose]:
        raise PasswordLinkError("expired")
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not user.active:
        raise PasswordLinkError("invalid")
    if data.get("state") != _password_state(user):
        raise PasswordLinkError("used")
    return user


def request_password_reset(email: str) -> None:
    """Someone asks for a password link. The same work for every address (one outbox row,
    written by the mail feature); whether an account belongs to it is decided in the
    background, so neither the answer nor its timing tells the visitor."""
    from wirlearn import signals

    signals.password_reset_requested.send(normalize_email(email))


def set_password(user: User, password: str, *, reason: str) -> None:
    """Store a new password and end every existing session of the user."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.end_all_sessions()
    record("auth.password_set", "user", user.id, subject_user_id=user.id, after={"reason": reason})


def count_admins() -> int:
    from wirlearn.auth.models import UserRole

    return db.session.scalar(
        select(func.count()).select_from(UserRole).join(User).where(UserRole.role == "admin", User.active.is_(True))
    )


def end_other_sessions(user: User) -> None:
    """End every session of ``user`` except the current one (which moves to the new nonce)."""
    from flask_login import login_user

    user.end_all_sessions()
    login_user(user, remember=False, fresh=True)
