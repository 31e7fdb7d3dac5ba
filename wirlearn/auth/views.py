from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wirlearn.auth import services
from wirlearn.auth.forms import ChangePasswordForm, LoginForm, SetPasswordForm
from wirlearn.auth.passwords import verify_password
from wirlearn.core.access import public, signed_in
from wirlearn.core.views import is_local_url
from wirlearn.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/anmelden", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    next_url = request.values.get("next")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the audit event of the failed attempt
            flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
        else:
            services.start_session(user)
            db.session.commit()
            return redirect(next_url if is_local_url(next_url) else url_for("core.home"))
    return render_template("auth/login.html", form=form, next_url=next_url if is_local_url(next_url) else None)


@bp.post("/abmelden")
@signed_in
def logout():
    services.end_session(current_user._get_current_object())
    db.session.commit()
    flash(_("Sie haben sich abgemeldet."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/passwort-setzen/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    try:
        user = services.user_for_password_token(token)
    except services.PasswordLinkError as error:
        messages = {
            "expired": _("Dieser Link ist abgelaufen. Bitte fordern Sie bei der Programmleitung einen neuen an."),
            "used": _("Dieser Link wurde bereits verwendet. Bitte fordern Sie bei Bedarf einen neuen an."),
            "invalid": _("Dieser Link ist ungültig."),
        }
        return render_template(
            "auth/link_invalid.html", message=messages[error.reason]
        ), 410 if error.reason != "invalid" else 404
    form = SetPasswordForm()
    form._email, form._name = user.email, user.display_name
    if form.validate_on_submit():
        services.set_password(user, form.password.data, reason="link")
        db.session.commit()
        if current_user.is_authenticated:
            services.end_session(None, everywhere=False)
        flash(_("Ihr Passwort ist gespeichert. Bitte melden Sie sich an."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/konto/passwort", methods=["GET", "POST"])
@signed_in
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    form._email, form._name = user.email, user.display_name
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("Das bisherige Passwort ist nicht richtig."))
        else:
            services.set_password(user, form.password.data, reason="change")
            db.session.commit()
            # Every session ended, this one included: sign in again with the new password.
            services.end_session(None, everywhere=False)
            flash(_("Ihr Passwort wurde geändert. Bitte melden Sie sich mit dem neuen Passwort an."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form)


def check_session_lifetime():
    """before_request: end sessions past their idle timeout or absolute lifetime."""
    state = services.check_session_age()
    if state.expired:
        services.end_session(None, everywhere=False)
        if request.method == "GET" and not request.path.startswith("/api/"):
            flash(_("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."), "warning")
    return None


def unauthorized():
    if request.path.startswith("/api/"):
        abort(401)
    if request.method != "GET":
        abort(401)
    flash(_("Bitte melden Sie sich an, um diese Seite zu sehen."), "info")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def register_views(app) -> None:
    app.register_blueprint(bp)
    app.before_request(check_session_lifetime)
    app.login_manager.unauthorized_handler(unauthorized)
    app.login_manager.user_loader(services.load_user_from_cookie)
