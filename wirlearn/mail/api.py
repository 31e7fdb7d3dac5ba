"""Mail in the JSON API: send an invitation (admins) and read the outbox (admins, read-only)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from wirlearn.api import API_PREFIX
from wirlearn.api.problems import ApiProblem
from wirlearn.auth.models import User
from wirlearn.core.access import api_roles
from wirlearn.core.timeutil import to_local_aware
from wirlearn.extensions import db
from wirlearn.mail.kinds import kind_label
from wirlearn.mail.models import OUTBOX_STATUSES, OutboxMessage

blp = Blueprint("api_mail", __name__, url_prefix=API_PREFIX, description="Invitations and the outbox")


class InvitationQueuedSchema(Schema):
    status = fields.String(required=True, metadata={"description": "`queued`: the worker sends it"})
    email = fields.String(required=True)


class OutboxQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(OUTBOX_STATUSES))
    kind = fields.String(validate=validate.Length(max=40))
    recipient = fields.String(validate=validate.Length(max=254), metadata={"description": "part of the address"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class OutboxMessageSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    kind_label = fields.String(required=True)
    recipient = fields.String(required=True)
    user_id = fields.Integer(allow_none=True)
    subject = fields.String(allow_none=True, metadata={"description": "known once rendered; never contains a secret"})
    status = fields.String(required=True, metadata={"enum": list(OUTBOX_STATUSES)})
    attempts = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class OutboxPageSchema(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(OutboxMessageSchema), required=True)


def _view(message: OutboxMessage) -> dict:
    return {
        "id": message.id,
        "kind": message.kind,
        "kind_label": kind_label(message.kind),
        "recipient": message.to_address,
        "user_id": message.user_id,
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "created_at": to_local_aware(message.created_at),
        "next_attempt_at": to_local_aware(message.next_attempt_at) if message.status in ("queued", "retrying") else None,
        "sent_at": to_local_aware(message.sent_at),
        "last_error": message.last_error,
    }


@blp.route("/users/<int:user_id>/invitation", methods=["POST"])
@blp.response(202, InvitationQueuedSchema)
@blp.alt_response(404, description="No such person (problem+json)")
@blp.alt_response(409, description="Deactivated, or the password is set already (problem+json)")
@api_roles("admin")
def invite(user_id: int):
    """Send (again) an invitation e-mail with a link to set the password (valid 72 hours)."""
    from wirlearn.users import services as user_services

    user = db.session.get(User, user_id)
    if user is None:
        raise ApiProblem(404, _("Diese Person gibt es nicht."))
    try:
        user_services.invite_user(user)
    except user_services.UserAdminError as error:
        db.session.rollback()
        raise ApiProblem(409, str(error)) from error
    db.session.commit()
    return {"status": "queued", "email": user.email}


@blp.route("/outbox", methods=["GET"])
@blp.arguments(OutboxQuerySchema, location="query")
@blp.response(200, OutboxPageSchema)
@api_roles("admin")
def outbox(args):
    """Messages of the outbox, newest first (read-only; links and their secrets are never stored)."""
    query = select(OutboxMessage)
    if args.get("status"):
        query = query.where(OutboxMessage.status == args["status"])
    if args.get("kind"):
        query = query.where(OutboxMessage.kind == args["kind"])
    if args.get("recipient"):
        query = query.where(OutboxMessage.to_address.like(f"%{args['recipient'].strip().lower()}%"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(args["limit"]).offset(args["offset"])
    )
    return {"total": total, "items": [_view(message) for message in rows]}


@blp.route("/outbox/<int:message_id>", methods=["GET"])
@blp.response(200, OutboxMessageSchema)
@blp.alt_response(404, description="No such message (problem+json)")
@api_roles("admin")
def outbox_message(message_id: int):
    """One message of the outbox."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise ApiProblem(404, _("Diese Nachricht gibt es nicht."))
    return _view(message)
