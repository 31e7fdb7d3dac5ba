"""Which state a certificate is in, decided in one place for every surface: the verification
page and JSON, the holder's page, the admin pages, the PDF's status line.

Precedence: revoked and superseded win over the end of validity (a revoked certificate is
revoked, whether or not it would have expired by now); the expiry is still reported beside
them (``expired``), so a page can say "widerrufen; außerdem abgelaufen am …".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STATES = ("valid", "expired", "revoked", "superseded")


@dataclass(frozen=True)
class Decision:
    state: str  # one of STATES
    expired: bool  # past the end of validity, whatever the state


def decide(status: str, valid_until: datetime | None, now: datetime) -> Decision:
    """The public state of a certificate with stored ``status`` (valid | revoked | superseded)
    and end of validity ``valid_until`` (naive UTC, or None), at ``now`` (naive UTC)."""
    expired = valid_until is not None and valid_until <= now
    if status in ("revoked", "superseded"):
        return Decision(status, expired)
    return Decision("expired" if expired else "valid", expired)
