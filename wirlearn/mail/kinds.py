"""The kinds of message wirlearn sends, and what each needs to be rendered.

Each kind names its category: ``always`` (invitations, password links, certificates: a person
cannot switch them off) or one of the optional ones a person may switch off on their settings
page (``reminders``, ``warnings``, ``digests``). Its ``build`` turns an outbox row (and its
recipient) into a ``Draft`` at send time, or raises ``Skip`` when the message is no longer due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirlearn.auth.models import User
    from wirlearn.mail.models import OutboxMessage

CATEGORIES = ("always", "reminders", "warnings", "digests")
OPTIONAL_CATEGORIES = ("reminders", "warnings", "digests")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str
    # iCalendar: the METHOD (REQUEST, CANCEL) that mail programs read from the MIME type.
    calendar_method: str | None = None


@dataclass
class Draft:
    """What a message says: templates ``mail/{template}.subject.txt``, ``.txt`` and ``.html``
    rendered with ``context``, plus attachments and the footer's reason."""

    template: str
    context: dict[str, Any]
    reason: str  # "Sie erhalten diese E-Mail, weil …" (already translated)
    attachments: list[Attachment] = field(default_factory=list)
    # The account the message turned out to be for, when the row names only an address.
    recipient: User | None = None


class Skip(Exception):
    """The message is no longer due (the person was deactivated, the session is gone, …):
    it is cancelled with this reason instead of sent."""


@dataclass(frozen=True)
class Kind:
    name: str
    category: str
    label: Any  # lazy_gettext: the name shown in the Postausgang
    build: Callable[[OutboxMessage, User | None], Draft]
    # Whether the recipient must be a known, active account (a password request need not be).
    needs_user: bool = True


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    if kind.category not in CATEGORIES:
        raise ValueError(f"unknown category {kind.category!r}")
    KINDS[kind.name] = kind


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else name
