from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from wirlearn.auth.models import User, UserRole
from wirlearn.auth.services import make_password_token
from wirlearn.core.access import roles_required
from wirlearn.core.collation import sort_key
from wirlearn.core.forms import choices, page_param
from wirlearn.extensions import db
from wirlearn.programme.models import Region
from wirlearn.users import services
from wirlearn.users.forms import ImportForm, NewUserForm, UserFilterForm, UserForm

bp = Blueprint("users", __name__, url_prefix="/verwaltung/nutzer")


def region_choices():
    regions = sorted(db.session.scalars(select(Region)), key=lambda region: sort_key(region.name))
    return choices([("", _("– keine –"))] + [(region.id, region.name) for region in regions])


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@roles_required("admin")
def index():
    form = UserFilterForm(request.args)
    query = select(User).order_by(User.display_name, User.id)
    if form.q.data:
        needle = f"%{form.q.data.strip().lower()}%"
        query = query.where(or_(User.email.like(needle), User.display_name.ilike(needle)))
    if form.role.data:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == form.role.data)))
    if form.state.data:
        query = query.where(User.active.is_(form.state.data == "active"))
    page = db.paginate(query, page=page_param(), per_page=50, error_out=False)
    from wirlearn.mail.services import invitation_states

    return render_template("users/index.html", page=page, form=form, invitations=invitation_states(page.items))


@bp.route("/neu", methods=["GET", "POST"])
@roles_required("admin")
def create():
    form = NewUserForm()
    form.region_id.choices = region_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.display_name.data, set(form.roles.data), form.region_id.data, invite=form.invite.data
            )
        except services.UserAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if form.invite.data:
                flash(
                    _(
                        "%(name)s wurde angelegt und erhält eine Einladung an %(email)s.",
                        name=user.display_name,
                        email=user.email,
                    ),
                    "success",
                )
                return redirect(url_for("users.index"))
            flash(
                _("%(name)s wurde angelegt. Geben Sie den Link zum Setzen des Passworts weiter.", name=user.display_name),
                "success",
            )
            return redirect(url_for("users.password_link", user_id=user.id))
    return render_template("users/form.html", form=form, user=None)


@bp.post("/<int:user_id>/einladen")
@roles_required("admin")
def invite(user_id: int):
    """Einladung (erneut) senden."""
    user = get_user_or_404(user_id)
    try:
        services.invite_user(user)
    except services.UserAdminError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Die Einladung an %(email)s wird gesendet.", email=user.email), "success")
    target = request.form.get("next")
    return redirect(target if target == url_for("users.index") else url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit(user_id: int):
    user = get_user_or_404(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    form.region_id.choices = region_choices()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                email=form.email.data,
                display_name=form.display_name.data,
                roles=set(form.roles.data),
                region_id=form.region_id.data,
                acting_user=current_user._get_current_object(),
            )
        except services.UserAdminError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Änderungen gespeichert."), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user)


@bp.post("/<int:user_id>/deaktivieren")
@roles_required("admin")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/<int:user_id>/aktivieren")
@roles_required("admin")
def activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = get_user_or_404(user_id)
    try:
        services.set_active(user, active, acting_user=current_user._get_current_object())
    except services.UserAdminError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s ist jetzt aktiv.", name=user.display_name)
            if active
            else _("%(name)s ist deaktiviert und überall abgemeldet.", name=user.display_name),
            "success",
        )
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/passwort-link", methods=["GET", "POST"])
@roles_required("admin")
def password_link(user_id: int):
    """Shows a signed, expiring link the admin hands over themselves (when e-mail cannot reach the person)."""
    user = get_user_or_404(user_id)
    link = None
    if request.method == "POST":
        from wirlearn.audit.services import record
        from wirlearn.core.urls import public_url_for

        link = public_url_for("auth.set_password", token=make_password_token(user))
        record("user.password_link_created", "user", user.id, subject_user_id=user.id)
        db.session.commit()
    return render_template("users/password_link.html", user=user, link=link)


@bp.route("/import", methods=["GET", "POST"])
@roles_required("admin")
def import_csv():
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        raw = form.file.data.read(1_000_000)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
            flash(_("Die Datei ist nicht UTF-8-kodiert. Bitte speichern Sie sie als „CSV UTF-8“."), "error")
        if text is not None:
            result = services.import_coordinators(text, invite=form.invite.data)
            if result.problems:
                db.session.rollback()
                problems = result.problems
                flash(
                    _("Nichts importiert: Bitte beheben Sie die genannten Zeilen und laden Sie die Datei erneut hoch."), "error"
                )
            else:
                db.session.commit()
                if form.invite.data:
                    flash(_("%(n)d Koordinator/innen angelegt und eingeladen.", n=len(result.created)), "success")
                else:
                    flash(_("%(n)d Koordinator/innen angelegt.", n=len(result.created)), "success")
                return redirect(url_for("users.index", role="coordinator"))
    return render_template("users/import.html", form=form, problems=problems)
