"""Turning a draft into an e-mail: both parts, the recipient's language, safe headers.

Rendering happens at send time, in the worker: the text is in the language the recipient has
then, password links are made only then (and so never stored), and a retry after a change (a
renamed person) says what is true when it goes out. Headers are built from values that cannot
carry a line break: names and subjects have CR/LF and other control characters replaced before
they reach Flask-Mailman (which would refuse them too), so nothing a person typed can add a
header or a recipient to the SMTP conversation.
"""

from __future__ import annotations

import hashlib
import re
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives

from wirlearn.core.urls import public_url_for
from wirlearn.mail.kinds import KINDS, OPTIONAL_CATEGORIES, Attachment, Draft
from wirlearn.mail.models import OutboxMessage

CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def one_line(text: str | None, limit: int = 200) -> str:
    """Text fit for a header: control characters (CR, LF, …) become a space."""
    return CONTROL.sub(" ", text or "").strip()[:limit]


def sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(message: OutboxMessage) -> str:
    """The same for every attempt at the same row, so a message delivered twice (at-least-once)
    is recognised as one by the recipient's mail program."""
    digest = hashlib.sha256(message.dedup_key.encode()).hexdigest()[:16]
    return f"<wirlearn.{message.id}.{digest}@{sender_domain()}>"


def recipient_locale(user) -> str:
    languages = current_app.config["LANGUAGES"]
    locale = getattr(user, "preferred_locale", None)
    return locale if locale in languages else languages[0]


def render(message: OutboxMessage, draft: Draft, *, to_name: str | None, locale: str) -> EmailMultiAlternatives:
    with force_locale(locale):
        kind = KINDS.get(message.kind)
        context = dict(
            draft.context,
            reason=draft.reason,
            public_url_for=public_url_for,
            locale=locale,
            optional=kind is not None and kind.category in OPTIONAL_CATEGORIES,
        )
        subject = one_line(render_template(f"mail/{draft.template}.subject.txt", **context), 250)
        text = render_template(f"mail/{draft.template}.txt", **context, subject=subject)
        html = render_template(f"mail/{draft.template}.html", **context, subject=subject)
    to = formataddr((one_line(to_name), message.to_address)) if to_name else message.to_address
    reply_to = current_app.config.get("MAIL_REPLY_TO")
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Message-ID": message_id(message),
            "Content-Language": locale,
            # Tells auto-responders (out of office) not to answer (RFC 3834).
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    email.attach_alternative(html, "text/html")
    for attachment in draft.attachments:
        if attachment.calendar_method:
            email.attach(_calendar_part(attachment))
        else:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
    return email


def _calendar_part(attachment: Attachment) -> MIMEText:
    """text/calendar with its METHOD, as calendar programs expect it (RFC 6047)."""
    part = MIMEText(attachment.content.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", attachment.calendar_method)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part
