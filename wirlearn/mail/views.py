"""The Postausgang (admins), each person's mail settings and calendar feed, and the feed itself."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from wirlearn.core.access import public, roles_required, signed_in
from wirlearn.core.forms import page_param
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.mail import reminders, services
from wirlearn.mail.forms import STATUS_LABELS, OutboxFilterForm, PreferencesForm
from wirlearn.mail.kinds import KINDS, kind_label
from wirlearn.mail.models import OutboxMessage

bp = Blueprint("mail", __name__)


@bp.get("/verwaltung/postausgang")
@roles_required("admin")
def outbox():
    form = OutboxFilterForm(request.args)
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    # Each filter on its own: an unknown value for one (an old bookmark) ignores just that one.
    needle = (form.q.data or "").strip().lower()[:100]
    if needle:
        query = query.where(OutboxMessage.to_address.like(f"%{needle}%"))
    if form.status.data in STATUS_LABELS:
        query = query.where(OutboxMessage.status == form.status.data)
    if form.kind.data in KINDS:
        query = query.where(OutboxMessage.kind == form.kind.data)
    page = db.paginate(query, page=page_param(), per_page=50, error_out=False)
    return render_template(
        "mail/outbox.html",
        form=form,
        page=page,
        counts=services.status_counts(),
        status_labels=STATUS_LABELS,
        kind_label=kind_label,
    )


def _back_to_outbox():
    target = request.form.get("next") or ""
    return redirect(target if target.startswith(url_for("mail.outbox")) else url_for("mail.outbox"))


@bp.post("/verwaltung/postausgang/<int:message_id>/erneut-senden")
@roles_required("admin")
def retry(message_id: int):
    try:
        message = services.retry(message_id)
    except services.OutboxError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Die Nachricht an %(address)s wird erneut gesendet.", address=message.to_address), "success")
    return _back_to_outbox()


@bp.post("/verwaltung/postausgang/<int:message_id>/verwerfen")
@roles_required("admin")
def cancel(message_id: int):
    try:
        message = services.cancel(message_id)
    except services.OutboxError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Die Nachricht an %(address)s wird nicht gesendet.", address=message.to_address), "success")
    return _back_to_outbox()


# --- a person's own settings ------------------------------------------------------------------


@bp.route("/konto/benachrichtigungen", methods=["GET", "POST"])
@signed_in
def preferences():
    user = current_user._get_current_object()
    stored = services.preferences(user.id)
    form = PreferencesForm(obj=stored)
    if form.validate_on_submit():
        services.set_preferences(user.id, reminders=form.reminders.data, warnings=form.warnings.data, digests=form.digests.data)
        db.session.commit()
        flash(_("Ihre E-Mail-Einstellungen sind gespeichert."), "success")
        return redirect(url_for("mail.preferences"))
    return render_template(
        "mail/preferences.html",
        form=form,
        has_feed=bool(stored.calendar_token_hash),
        feed_created_at=stored.calendar_token_created_at,
        feed_url=None,
        is_admin=user.has_role("admin"),
    )


@bp.post("/konto/kalender")
@signed_in
def new_feed():
    """A new secret feed address (the previous one stops working); shown once."""
    user = current_user._get_current_object()
    token = services.new_calendar_token(user.id)
    db.session.commit()
    stored = services.preferences(user.id)
    flash(_("Ihre neue Kalender-Adresse ist erstellt. Die bisherige funktioniert nicht mehr."), "success")
    return render_template(
        "mail/preferences.html",
        form=PreferencesForm(formdata=None, obj=stored),
        has_feed=True,
        feed_created_at=stored.calendar_token_created_at,
        feed_url=public_url_for("mail.calendar_feed", feed_token=token),
        is_admin=user.has_role("admin"),
    )


@bp.post("/konto/kalender/widerrufen")
@signed_in
def revoke_feed():
    services.revoke_calendar_token(current_user.id)
    db.session.commit()
    flash(_("Die Kalender-Adresse ist widerrufen; Kalender, die sie abonniert haben, erhalten keine Termine mehr."), "success")
    return redirect(url_for("mail.preferences"))


@bp.get("/kalender/<feed_token>.ics")
@public
def calendar_feed(feed_token: str):
    """The secret feed: every session of the person, for calendar subscriptions. Wrong or
    revoked tokens get 404, like an address that never existed."""
    user_id = services.user_id_for_calendar_token(feed_token)
    if user_id is None:
        abort(404)
    from wirlearn.auth.models import User

    user = db.session.get(User, user_id)
    if user is None or not user.active:
        abort(404)
    body = reminders.feed(user.id, name=_("wirlearn – Meine Termine"))
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="wirlearn.ics"',
            "Cache-Control": "private, max-age=900",
            "X-Robots-Tag": "noindex",
        },
    )
