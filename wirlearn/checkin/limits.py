"""Rate limits of the self check-in: per person and per address (read from the config)."""

from __future__ import annotations

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_login import current_user

from wirlearn.extensions import limiter


def _user_key() -> str:
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    return f"uid:{user.id}" if user is not None else "addr:" + get_remote_address()


per_user = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_CHECKIN_PER_USER"], scope="checkin-user", key_func=_user_key
)
per_address = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_CHECKIN_PER_ADDRESS"], scope="checkin-address", key_func=get_remote_address
)
