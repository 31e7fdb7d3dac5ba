"""Configuration, read from the environment.

Every setting an operator may change is an environment variable; the table in README.md lists
them. ``create_app`` picks a class by ``WIRLEARN_ENV`` (development, testing, production).
"""

from __future__ import annotations

import os
from datetime import timedelta


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(value: str | None) -> str | None:
    """Accept the URL forms hosting platforms hand out and pin the psycopg 3 driver."""
    if not value:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


DEFAULT_MAIL_SENDER = "wirlearn <wirlearn@localhost>"  # development only, refused by ProductionConfig
INSECURE_DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - a marker, refused by ProductionConfig  # nosec B105


class Config:
    WIRLEARN_ENV = "development"

    SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_DEV_SECRET
    # None means: SQLite file in the instance folder, filled in by create_app.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    # No pre-ping on every checkout: wirlearn/core/dbpool.py checks connections idle this long.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_IDLE_SECONDS = 10
    # Empty: development follows the served host and port (wirlearn/core/urls.py); production refuses.
    BASE_URL = (os.environ.get("BASE_URL") or "").rstrip("/")

    # Rate limits (Flask-Limiter). In production: redis://host:6379/0
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # A moving window: "10 per minute" holds for any 60 seconds, also across the turn of a
    # minute (a fixed window would let 20 attempts through in two seconds there).
    RATELIMIT_STRATEGY = os.environ.get("RATELIMIT_STRATEGY") or "moving-window"
    # Redis unreachable: keep limiting, per process, until it is back (instead of failing requests).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX") or "wirlearn"
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN") or "10 per minute; 50 per hour"
    # Failed sign-ins for one account from one address: the tight limit on guessing.
    RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS = os.environ.get("RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS") or "5 per minute; 20 per hour"
    # For one account over all addresses: a much higher ceiling, not applied to the account's own
    # browsers (wirlearn/auth/limits.py), so it bounds spread-out guessing without a lockout switch.
    RATELIMIT_LOGIN_PER_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_PER_ACCOUNT") or "30 per hour; 100 per day"
    RATELIMIT_VERIFY = os.environ.get("RATELIMIT_VERIFY") or "120 per minute"

    # Reverse proxies in front of the app (X-Forwarded-For etc.); 0 = none.
    PROXY_FIX_X_FOR = env_int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = env_int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = env_int("PROXY_FIX_X_HOST", 0)

    # Babel: German first.
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session bounds a token's life
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)

    # Sessions
    SESSION_COOKIE_NAME = "wirlearn_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60)
    SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_ABSOLUTE_HOURS)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # Password hashing: argon2id (argon2-cffi); these are its RFC 9106 low-memory defaults.
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 4)
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_LINK_HOURS = env_int("PASSWORD_LINK_HOURS", 72)

    # Two-factor sign-in for staff (TOTP); required for admins and trainers in production unless switched off.
    REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", False)
    REQUIRE_2FA_FOR_TRAINERS = env_bool("REQUIRE_2FA_FOR_TRAINERS", False)
    # Fernet keys (comma-separated, newest first) that encrypt TOTP secrets at rest; without them a
    # key derived from SECRET_KEY is used. Rotation: docs/betrieb.md.
    TOTP_ENCRYPTION_KEYS = os.environ.get("TOTP_ENCRYPTION_KEYS") or ""
    # `flask backup` encrypts with one of these (a Fernet key wins); `restore` reads such files.
    BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY") or ""
    BACKUP_PASSPHRASE = os.environ.get("BACKUP_PASSPHRASE") or ""

    # JSON API bearer tokens.
    API_TOKEN_MINUTES = env_int("API_TOKEN_MINUTES", 15)

    # Certificate signing keys: a folder (default: instance/keys) or one PEM in the environment.
    SIGNING_KEY_DIR = os.environ.get("SIGNING_KEY_DIR")
    SIGNING_KEY_PEM = os.environ.get("SIGNING_KEY_PEM")
    # Bitstring Status Lists (wirlearn/status): how long verifiers may cache a list (its ttl and
    # Cache-Control max-age); the issuer profile's contact address (else MAIL_REPLY_TO).
    STATUS_LIST_TTL_SECONDS = env_int("STATUS_LIST_TTL_SECONDS", 300)
    ISSUER_EMAIL = os.environ.get("ISSUER_EMAIL") or ""

    # Texts the operator sets (privacy notice, imprint), Markdown-free plain text files.
    LEGAL_TEXT_DIR = os.environ.get("LEGAL_TEXT_DIR")
    # Where people report barriers (accessibility statement); default: MAIL_REPLY_TO, then the sender.
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT") or None

    # GDPR retention in days after a participant's series ended, per data category.
    RETENTION_DAYS_PARTICIPANTS = env_int("RETENTION_DAYS_PARTICIPANTS", 3 * 365)
    RETENTION_DAYS_NOTES = env_int("RETENTION_DAYS_NOTES", 365)
    RETENTION_DAYS_ROSTER_KEYS = env_int("RETENTION_DAYS_ROSTER_KEYS", 30)

    # E-mail (Flask-Mailman reads the MAIL_* settings). Sending happens in the worker only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or "localhost"
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    # "Name <address>": the programme's sender name is what recipients see first.
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or DEFAULT_MAIL_SENDER
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO") or None
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)
    MAIL_BACKEND = "smtp"
    # Where development keeps a copy of every message as an .eml file (None: nowhere).
    MAIL_EML_DIR = os.environ.get("MAIL_EML_DIR") or None
    # A message that keeps failing is given up (status "failed") this long after it was queued.
    MAIL_GIVE_UP_HOURS = env_int("MAIL_GIVE_UP_HOURS", 24)
    # Finished messages (with their addresses) are deleted from the outbox after this many days.
    MAIL_KEEP_DAYS = env_int("MAIL_KEEP_DAYS", 90)
    # The programme office's daily digest of attendance warnings goes out from this hour (local).
    MAIL_DIGEST_HOUR = env_int("MAIL_DIGEST_HOUR", 7)
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET") or "10 per hour"
    RATELIMIT_PASSWORD_RESET_PER_ACCOUNT = os.environ.get("RATELIMIT_PASSWORD_RESET_PER_ACCOUNT") or "3 per hour"

    # Background jobs (RQ). Without REDIS_URL, `flask worker` runs periodic jobs itself and
    # drains the outbox from the database; other jobs run in-process after the commit.
    REDIS_URL = os.environ.get("REDIS_URL") or ""
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE") or "wirlearn"
    # Without Redis, run a queued job in the app process right after the commit (development,
    # tests). Production without Redis leaves it to the worker's periodic jobs instead.
    JOBS_RUN_INLINE = env_bool("JOBS_RUN_INLINE", True)

    HSTS = False

    @classmethod
    def check(cls, settings) -> None:
        """Refuse settings this environment must not start with (production overrides it)."""


class DevelopmentConfig(Config):
    WIRLEARN_ENV = "development"
    # Every message is also written to instance/mail/*.eml (see wirlearn/mail/backends.py);
    # with MAIL_SERVER set it is sent there as well.
    MAIL_BACKEND = "wirlearn.mail.backends.DevelopmentEmailBackend"


class TestingConfig(Config):
    WIRLEARN_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105 - test runs only  # nosec B105
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("WIRLEARN_TEST_DATABASE_URL")) or "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://wirlearn.test"
    # Cheap hashing keeps the suite fast; production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    WIRLEARN_ENV = "production"
    SESSION_COOKIE_NAME = "__Host-wirlearn"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", True)
    # Trainers see participants' notes and results: a password alone is not enough.
    REQUIRE_2FA_FOR_TRAINERS = env_bool("REQUIRE_2FA_FOR_TRAINERS", True)
    PREFERRED_URL_SCHEME = "https"
    JOBS_RUN_INLINE = env_bool("JOBS_RUN_INLINE", False)

    @classmethod
    def check(cls, settings) -> None:
        """Refuse to start with a default or missing secret or public address."""
        secret = settings.get("SECRET_KEY") or ""
        if secret == INSECURE_DEV_SECRET or len(secret) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters in production.")
        base_url = (settings.get("BASE_URL") or "").strip()
        if not base_url:
            raise RuntimeError("BASE_URL must be set to the public address (https://…) in production.")
        if not base_url.lower().startswith("https://"):
            raise RuntimeError(f"BASE_URL must start with https:// in production (printed in QR codes for decades): {base_url}")
        if not os.environ.get("MAIL_DEFAULT_SENDER") and settings.get("MAIL_DEFAULT_SENDER") in (None, "", DEFAULT_MAIL_SENDER):
            raise RuntimeError("MAIL_DEFAULT_SENDER must be set (e.g. 'WIR-Qualifizierung <noreply@example.org>') in production.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("WIRLEARN_ENV", "development")]
