"""Flask-Mailman backends of our own: .eml files for development.

``make run`` needs no mail server: every message is written to ``instance/mail/`` as an .eml
file that any mail program opens (double-click), exactly as it would have gone out. With
``MAIL_SERVER`` set in the environment, development sends it there as well.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import current_app
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SmtpBackend


def eml_dir() -> Path:
    return Path(current_app.config.get("MAIL_EML_DIR") or Path(current_app.instance_path) / "mail")


def write_eml(message, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    msg = message.message()
    token = re.sub(r"[^A-Za-z0-9.-]", "", msg["Message-ID"] or "")[:60] or "message"
    path = folder / f"{_stamp()}-{token}.eml"
    path.write_bytes(msg.as_bytes(linesep="\r\n"))
    return path


def _stamp() -> str:
    from datetime import datetime

    return datetime.now().strftime("%Y%m%d-%H%M%S")


class EmailBackend(BaseEmailBackend):
    """Writes each message to ``MAIL_EML_DIR`` (default ``instance/mail``)."""

    def send_messages(self, email_messages):
        folder = eml_dir()
        for message in email_messages:
            write_eml(message, folder)
        return len(email_messages)


class DevelopmentEmailBackend(BaseEmailBackend):
    """Development: an .eml file always; also SMTP when ``MAIL_SERVER`` is set in the environment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.smtp = SmtpBackend(*args, **kwargs) if os.environ.get("MAIL_SERVER") else None

    def open(self):
        return self.smtp.open() if self.smtp else False

    def close(self):
        if self.smtp:
            self.smtp.close()

    def send_messages(self, email_messages):
        folder = eml_dir()
        for message in email_messages:
            write_eml(message, folder)
        if self.smtp:
            return self.smtp.send_messages(email_messages)
        return len(email_messages)
