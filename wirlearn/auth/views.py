from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wirlearn.auth import services, twofactor
from wirlearn.auth.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnrolTwoFactorForm,
    ForgotPasswordForm,
    LoginForm,
    SecondFactorForm,
    SetPasswordForm,
    TwoFactorCodeForm,
)
from wirlearn.auth.limits import mark_failed, password_reset_limits, second_step_limits, sign_in_limits
from wirlearn.auth.models import User
from wirlearn.auth.passwords import verify_password
from wirlearn.core.access import public, roles_required, signed_in
from wirlearn.core.views import is_local_url
from wirlearn.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/anmelden", methods=["GET", "POST"])
@public
@sign_in_limits
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    next_url = request.values.get("next")
    next_url = next_url if is_local_url(next_url) else None
    if request.method == "POST" and not form.validate():
        mark_failed()
    elif form.is_submitted():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            mark_failed()
            db.session.commit()  # keep the audit event of the failed attempt
            flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
        elif user.totp_enabled:
            services.begin_second_step(user, next_url)
            db.session.commit()  # a rehashed password
            return redirect(url_for("auth.second_factor"))
        else:
            services.start_session(user)
            db.session.commit()
            return _after_sign_in(user, next_url)
    return render_template("auth/login.html", form=form, next_url=next_url)


def _after_sign_in(user: User, next_url: str | None):
    if twofactor.required_for(user) and not user.totp_enabled:
        flash(
            _("Bitte richten Sie jetzt die Anmeldung mit zweitem Faktor ein. Erst danach können Sie weiterarbeiten."), "warning"
        )
        return redirect(url_for("auth.two_factor"))
    return redirect(next_url or url_for("core.home"))


@bp.route("/anmelden/bestaetigen", methods=["GET", "POST"])
@public
@second_step_limits
def second_factor():
    """The second step of signing in: a code from the authenticator app or a recovery code."""
    user = services.pending_user()
    if user is None:
        if request.method == "POST":
            mark_failed()
        flash(_("Bitte melden Sie sich erneut an."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if request.method == "POST" and not form.validate():
        mark_failed()
    elif form.is_submitted():
        result = twofactor.check_second_factor(user, form.code.data)
        if not result.ok:
            mark_failed()
            db.session.commit()  # keep the audit event of the failed attempt
            form.code.errors.append(_("Der Code ist nicht richtig oder wurde schon verwendet."))
        else:
            next_url = services.pending_next_url()
            services.start_session(user, second_factor=result.method)
            db.session.commit()
            if result.method == "recovery":
                left = twofactor.remaining_recovery_codes(user)
                flash(
                    _(
                        "Sie haben einen Wiederherstellungscode verwendet; %(n)d sind noch übrig. Erzeugen Sie bei Bedarf neue.",
                        n=left,
                    ),
                    "warning",
                )
            return redirect(next_url if is_local_url(next_url) else url_for("core.home"))
    return render_template("auth/second_factor.html", form=form)


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
            "expired": _("Dieser Link ist abgelaufen. Einen neuen erhalten Sie über „Passwort vergessen?“ auf der Anmeldeseite."),
            "used": _(
                "Dieser Link wurde bereits verwendet oder Ihr Passwort wurde inzwischen geändert. "
                "Einen neuen Link erhalten Sie über „Passwort vergessen?“ auf der Anmeldeseite."
            ),
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


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@public
@password_reset_limits
def forgot_password():
    """Ask for a link to set a new password. Known and unknown addresses get the same answer."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/forgot_password.html", form=None, requested=True)
    return render_template("auth/forgot_password.html", form=form, requested=False)


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


# --- two-factor settings ----------------------------------------------------------------------


@bp.route("/konto/zwei-faktor", methods=["GET", "POST"])
@roles_required("admin", "trainer")
def two_factor():
    """Status and enrolment: a QR code for the app, then a code to confirm it works."""
    user = current_user._get_current_object()
    required = twofactor.required_for(user)
    if user.totp_enabled:
        return render_template(
            "auth/two_factor.html",
            user=user,
            remaining=twofactor.remaining_recovery_codes(user),
            codes_form=TwoFactorCodeForm(prefix="codes"),
            disable_form=DisableTwoFactorForm(prefix="off"),
            required=required,
        )
    if not user.totp_secret:
        return render_template("auth/two_factor_start.html", required=required)
    form = EnrolTwoFactorForm()
    if form.validate_on_submit():
        codes = twofactor.confirm_enrolment(user, form.code.data)
        if codes is None:
            db.session.commit()  # the used time step stays used
            form.code.errors.append(
                _("Der Code passt nicht. Prüfen Sie die Uhrzeit Ihres Geräts und geben Sie den aktuellen Code ein.")
            )
        else:
            services.end_other_sessions(user)
            db.session.commit()
            flash(_("Die Anmeldung mit zweitem Faktor ist eingerichtet."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=twofactor.qr_data_url(twofactor.provisioning_uri(user)),
        secret=twofactor.format_secret(user.totp_secret),
        required=required,
    )


@bp.post("/konto/zwei-faktor/einrichten")
@roles_required("admin", "trainer")
def two_factor_start():
    """Create a new pending secret (a new QR code); the old pending one stops working."""
    user = current_user._get_current_object()
    if not user.totp_enabled:
        twofactor.start_enrolment(user)
        db.session.commit()
    return redirect(url_for("auth.two_factor"))


@bp.post("/konto/zwei-faktor/neue-codes")
@roles_required("admin", "trainer")
def two_factor_new_codes():
    user = current_user._get_current_object()
    form = TwoFactorCodeForm(prefix="codes")
    if not user.totp_enabled:
        return redirect(url_for("auth.two_factor"))
    if form.validate_on_submit() and twofactor.verify_totp(user, form.code.data):
        codes = twofactor.new_recovery_codes(user)
        from wirlearn.audit.services import record

        record("auth.recovery_codes_renewed", "user", user.id, subject_user_id=user.id)
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes)
    db.session.commit()
    flash(_("Der Code ist nicht richtig oder wurde schon verwendet. Es wurde nichts geändert."), "error")
    return redirect(url_for("auth.two_factor"))


@bp.post("/konto/zwei-faktor/abschalten")
@roles_required("admin", "trainer")
def two_factor_disable():
    user = current_user._get_current_object()
    form = DisableTwoFactorForm(prefix="off")
    if not user.totp_enabled:
        return redirect(url_for("auth.two_factor"))
    if twofactor.required_for(user):
        flash(_("Für Ihre Rolle ist der zweite Faktor vorgeschrieben; er kann nicht abgeschaltet werden."), "error")
        return redirect(url_for("auth.two_factor"))
    if (
        form.validate_on_submit()
        and verify_password(user.password_hash, form.password.data)
        and twofactor.verify_totp(user, form.code.data)
    ):
        twofactor.disable(user, reason="self")
        services.end_other_sessions(user)
        db.session.commit()
        flash(_("Die Anmeldung mit zweitem Faktor ist abgeschaltet."), "success")
        return redirect(url_for("auth.two_factor"))
    db.session.commit()
    flash(_("Passwort oder Code ist nicht richtig. Es wurde nichts geändert."), "error")
    return redirect(url_for("auth.two_factor"))


@bp.post("/verwaltung/nutzer/<int:user_id>/zwei-faktor-zuruecksetzen")
@roles_required("admin")
def two_factor_reset(user_id: int):
    """An admin switches another person's second factor off (lost phone); it ends their sessions."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.totp_enabled or user.totp_secret:
        twofactor.disable(user, reason="reset_by_admin")
        user.end_all_sessions()
        db.session.commit()
        flash(
            _(
                "Der zweite Faktor von %(name)s ist zurückgesetzt; die Person richtet ihn bei der nächsten Anmeldung neu ein.",
                name=user.display_name,
            ),
            "success",
        )
    return redirect(url_for("users.edit", user_id=user.id))


# Pages a user who still has to set up the second factor may open.
SETUP_ALLOWED_ENDPOINTS = frozenset(
    {
        "auth.two_factor",
        "auth.two_factor_start",
        "auth.logout",
        "static",
        "core.set_language",
        "core.privacy",
        "core.imprint",
        "core.health",
    }
)


def require_two_factor_setup():
    """before_request: where the second factor is required, nothing else works until it is set up."""
    if not current_user.is_authenticated or request.endpoint is None or request.endpoint in SETUP_ALLOWED_ENDPOINTS:
        return None
    user = current_user._get_current_object()
    if user.totp_enabled or not twofactor.required_for(user):
        return None
    if request.path.startswith("/api/"):
        from wirlearn.api.problems import ApiProblem

        raise ApiProblem(403, _("Bitte richten Sie zuerst die Anmeldung mit zweitem Faktor ein."))
    if request.method == "GET":
        flash(
            _("Bitte richten Sie jetzt die Anmeldung mit zweitem Faktor ein. Erst danach können Sie weiterarbeiten."), "warning"
        )
    return redirect(url_for("auth.two_factor"))


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
    app.before_request(require_two_factor_setup)
    app.login_manager.unauthorized_handler(unauthorized)
    app.login_manager.user_loader(services.load_user_from_cookie)
