"""Invitations and password links by e-mail.

The link is made when the message is sent, never stored: an invitation link lives
``PASSWORD_LINK_HOURS`` (72), a password-reset link ``PASSWORD_RESET_MINUTES`` (60); either
dies once any link of that person has been used (see ``auth.services``).
"""

from __future__ import annotations

import uuid

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from wirlearn import signals
from wirlearn.auth.services import find_user_by_email, make_password_token
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.mail.kinds import Draft, Kind, Skip, register_kind
from wirlearn.mail.models import OutboxMessage
from wirlearn.mail.outbox import queue_message


def on_user_invited(user, **_extra) -> None:
    # The key counts the invitations already finished (sent, failed, cancelled): while one is
    # still waiting, asking again (a double click) queues nothing new; after it, a new one.
    finished = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.kind == "invitation",
            OutboxMessage.user_id == user.id,
            OutboxMessage.status.not_in(("queued", "retrying")),
        )
    )
    queue_message("invitation", f"invitation:{user.id}:{finished}", to_address=user.email, user_id=user.id, ref_id=user.id)


def on_password_reset_requested(email: str, **_extra) -> None:
    """The same single INSERT for every address: whether an account belongs to it is decided
    by the worker, so neither the answer nor its timing tells a visitor."""
    queue_message("password_reset", f"reset:{uuid.uuid4().hex}", to_address=email[:254])


def build_invitation(message, user) -> Draft:
    if user.password_hash:
        raise Skip(_("Die Person hat ihr Passwort bereits gesetzt."))
    return Draft(
        "invitation",
        {
            "user": user,
            "link": public_url_for("auth.set_password", token=make_password_token(user, purpose="invitation")),
            "login_url": public_url_for("auth.login"),
            "hours": current_app.config["PASSWORD_LINK_HOURS"],
        },
        reason=_l("die Programmleitung ein Konto für Sie angelegt hat"),
    )


def build_password_reset(message, _user) -> Draft:
    user = find_user_by_email(message.to_address)
    if user is None or not user.active:
        raise Skip(_("Zu dieser Adresse gehört kein aktives Konto."))
    return Draft(
        "password_reset",
        {
            "user": user,
            "link": public_url_for("auth.set_password", token=make_password_token(user, purpose="reset")),
            "forgot_url": public_url_for("auth.forgot_password"),
            "minutes": current_app.config["PASSWORD_RESET_MINUTES"],
        },
        reason=_l("auf der Anmeldeseite ein neues Passwort für diese Adresse angefordert wurde"),
        recipient=user,
    )


def register() -> None:
    register_kind(Kind("invitation", "always", _l("Einladung"), build_invitation))
    register_kind(Kind("password_reset", "always", _l("Passwort zurücksetzen"), build_password_reset, needs_user=False))
    signals.user_invited.connect(on_user_invited)
    signals.password_reset_requested.connect(on_password_reset_requested)
