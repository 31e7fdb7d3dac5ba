"""Helpers for the mail tests: send what the outbox holds, read what arrived."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import select

from wirlearn.extensions import db
from wirlearn.mail.models import OutboxMessage

SENDER = "WIR-Qualifizierung <noreply@wir.example>"


def mail_settings(smtp) -> dict:
    return smtp.settings() | {"MAIL_DEFAULT_SENDER": SENDER, "MAIL_REPLY_TO": "programmbuero@wir.example"}


def drain(app, **kwargs):
    """``flask outbox send`` in-process: every due message once."""
    from wirlearn.mail.sending import send_due

    with app.app_context():
        return send_due(**kwargs)


def outbox(app, **where) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        rows = list(db.session.scalars(query))
        for row in rows:
            db.session.expunge(row)
        return rows


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and the HTML part of a received message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True)) for part in message.iter_attachments()}


def first_link(text: str, path: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(path) + r"\S*", text)
    assert match, f"no link to {path} in: {text[:500]}"
    return match.group(0)


def subject(message: EmailMessage) -> str:
    """The decoded subject. A long non-ASCII subject is folded right after "Subject:" (RFC 2047
    encoded words); mail programs read that fold as blank space, as this does."""
    return str(message["Subject"]).strip()
