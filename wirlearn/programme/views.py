"""Admin pages to set up a programme: regions, series with rules, modules, sessions, enrollments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from wirlearn.auth.models import User, UserRole
from wirlearn.core.access import roles_required
from wirlearn.core.collation import sort_key
from wirlearn.core.forms import choices
from wirlearn.extensions import db
from wirlearn.programme import services
from wirlearn.programme.forms import EnrollForm, ModuleForm, RegionForm, SeriesForm, SessionForm
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session

bp = Blueprint("programme", __name__, url_prefix="/verwaltung")


def get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _fail(error: Exception) -> None:
    db.session.rollback()
    flash(str(error), "error")


# --- series -----------------------------------------------------------------------------------


@bp.get("/reihen")
@roles_required("admin")
def series_index():
    counts = dict(
        db.session.execute(
            select(Enrollment.series_id, func.count()).where(Enrollment.status != "withdrawn").group_by(Enrollment.series_id)
        ).all()
    )
    module_counts = dict(db.session.execute(select(Module.series_id, func.count()).group_by(Module.series_id)).all())
    series = db.session.scalars(select(Series).order_by(Series.start_date.desc().nulls_last(), Series.id.desc())).all()
    return render_template("programme/series_index.html", series=series, counts=counts, module_counts=module_counts)


@bp.route("/reihen/neu", methods=["GET", "POST"])
@roles_required("admin")
def series_create():
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            series = services.create_series(form.values())
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Die Reihe „%(title)s“ wurde angelegt. Legen Sie jetzt die Module an.", title=series.title), "success")
            return redirect(url_for("programme.series_detail", series_id=series.id))
    return render_template("programme/series_form.html", form=form, series=None)


@bp.get("/reihen/<int:series_id>")
@roles_required("admin")
def series_detail(series_id: int):
    series = db.session.scalar(
        select(Series)
        .where(Series.id == series_id)
        .options(selectinload(Series.modules).selectinload(Module.sessions).selectinload(Session.trainers))
    )
    if series is None:
        abort(404)
    enrolled = db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.series_id == series.id, Enrollment.status != "withdrawn")
    )
    return render_template("programme/series_detail.html", series=series, enrolled=enrolled)


@bp.route("/reihen/<int:series_id>/bearbeiten", methods=["GET", "POST"])
@roles_required("admin")
def series_edit(series_id: int):
    series = get_or_404(Series, series_id)
    form = SeriesForm(obj=series)
    if form.validate_on_submit():
        try:
            services.update_series(series, form.values())
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Änderungen gespeichert."), "success")
            return redirect(url_for("programme.series_detail", series_id=series.id))
    return render_template("programme/series_form.html", form=form, series=series)


# --- modules ----------------------------------------------------------------------------------


@bp.route("/reihen/<int:series_id>/module/neu", methods=["GET", "POST"])
@roles_required("admin")
def module_create(series_id: int):
    series = get_or_404(Series, series_id)
    form = ModuleForm()
    if form.validate_on_submit():
        try:
            services.add_module(series, form.values())
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Modul angelegt."), "success")
            return redirect(url_for("programme.series_detail", series_id=series.id))
    return render_template("programme/module_form.html", form=form, series=series, module=None)


@bp.route("/module/<int:module_id>/bearbeiten", methods=["GET", "POST"])
@roles_required("admin")
def module_edit(module_id: int):
    module = get_or_404(Module, module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        try:
            services.update_module(module, form.values())
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Änderungen gespeichert."), "success")
            return redirect(url_for("programme.series_detail", series_id=module.series_id))
    return render_template("programme/module_form.html", form=form, series=module.series, module=module)


@bp.post("/module/<int:module_id>/verschieben")
@roles_required("admin")
def module_move(module_id: int):
    module = get_or_404(Module, module_id)
    direction = {"hoch": -1, "runter": 1}.get(request.form.get("richtung", ""))
    if direction is None:
        abort(400)
    services.move_module(module, direction)
    db.session.commit()
    return redirect(url_for("programme.series_detail", series_id=module.series_id) + f"#modul-{module.id}")


@bp.post("/module/<int:module_id>/loeschen")
@roles_required("admin")
def module_delete(module_id: int):
    module = get_or_404(Module, module_id)
    series_id = module.series_id
    try:
        services.delete_module(module)
    except services.ProgrammeError as error:
        _fail(error)
    else:
        db.session.commit()
        flash(_("Modul gelöscht."), "success")
    return redirect(url_for("programme.series_detail", series_id=series_id))


# --- sessions ---------------------------------------------------------------------------------


def trainer_choices():
    trainers = db.session.scalars(select(User).join(UserRole).where(UserRole.role == "trainer", User.active.is_(True)))
    return choices((user.id, user.display_name) for user in sorted(trainers, key=lambda user: sort_key(user.display_name)))


@bp.route("/module/<int:module_id>/termine/neu", methods=["GET", "POST"])
@roles_required("admin")
def session_create(module_id: int):
    module = get_or_404(Module, module_id)
    form = SessionForm()
    form.trainer_ids.choices = trainer_choices()
    if form.validate_on_submit():
        try:
            services.add_session(module, form.values(), form.trainer_ids.data or [])
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Termin angelegt."), "success")
            return redirect(url_for("programme.series_detail", series_id=module.series_id) + f"#modul-{module.id}")
    return render_template("programme/session_form.html", form=form, module=module, session=None)


@bp.route("/termine/<int:session_id>/bearbeiten", methods=["GET", "POST"])
@roles_required("admin")
def session_edit(session_id: int):
    session = get_or_404(Session, session_id)
    form = SessionForm(obj=session)
    form.trainer_ids.choices = trainer_choices()
    if request.method == "GET":
        form.trainer_ids.data = [trainer.id for trainer in session.trainers]
    if form.validate_on_submit():
        try:
            services.update_session(session, form.values(), form.trainer_ids.data or [])
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Änderungen gespeichert."), "success")
            return redirect(
                url_for("programme.series_detail", series_id=session.module.series_id) + f"#modul-{session.module_id}"
            )
    return render_template("programme/session_form.html", form=form, module=session.module, session=session)


@bp.post("/termine/<int:session_id>/loeschen")
@roles_required("admin")
def session_delete(session_id: int):
    session = get_or_404(Session, session_id)
    series_id = session.module.series_id
    try:
        services.delete_session(session)
    except services.ProgrammeError as error:
        _fail(error)
    else:
        db.session.commit()
        flash(_("Termin gelöscht."), "success")
    return redirect(url_for("programme.series_detail", series_id=series_id))


# --- enrollments ------------------------------------------------------------------------------


@bp.route("/reihen/<int:series_id>/teilnehmende", methods=["GET", "POST"])
@roles_required("admin")
def enrollments(series_id: int):
    series = get_or_404(Series, series_id)
    rows = db.session.execute(
        select(Enrollment, User, Region)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Region, Region.id == User.region_id)
        .where(Enrollment.series_id == series.id)
    ).all()
    rows.sort(key=lambda row: (sort_key(row[1].display_name), row[1].id))
    enrolled_ids = {enrollment.user_id for enrollment, _user, _region in rows}
    candidates = db.session.execute(
        select(User, Region)
        .join(UserRole, UserRole.user_id == User.id)
        .outerjoin(Region, Region.id == User.region_id)
        .where(UserRole.role == "coordinator", User.active.is_(True), User.id.not_in(enrolled_ids or {-1}))
    ).all()
    candidates.sort(key=lambda row: (sort_key(row[0].display_name), row[0].id))
    form = EnrollForm()
    form.user_ids.choices = choices(
        (user.id, f"{user.display_name} ({region.name if region else '–'})") for user, region in candidates
    )
    if form.validate_on_submit():
        try:
            result = services.enroll(series, form.user_ids.data)
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(ngettext_added(result.added), "success")
            for message in late_enrollment_messages(result.enrollment_ids):
                flash(message, "warning")
            return redirect(url_for("programme.enrollments", series_id=series.id))
    return render_template("programme/enrollments.html", series=series, rows=rows, form=form)


def late_enrollment_messages(enrollment_ids) -> list[str]:
    """One line per person enrolled after sessions were held: how many, whether they count,
    whether the minimum can still be reached."""
    from flask_babel import gettext, ngettext

    from wirlearn.progress.services import late_enrollments

    messages = []
    for late in late_enrollments(enrollment_ids):
        text = ngettext(
            "%(name)s: %(num)d Termin fand vor der Einschreibung statt",
            "%(name)s: %(num)d Termine fanden vor der Einschreibung statt",
            late.sessions_before,
            name=late.name,
        )
        text += " " + (gettext("(zählen als versäumt).") if late.counted else gettext("(zählen weder dafür noch dagegen)."))
        text += " " + (
            gettext("Die Mindestanwesenheit ist noch erreichbar.")
            if late.reachable
            else gettext("Die Mindestanwesenheit ist nicht mehr erreichbar.")
        )
        messages.append(text)
    return messages


def ngettext_added(count: int) -> str:
    from flask_babel import ngettext

    return ngettext("%(num)d Person eingeschrieben.", "%(num)d Personen eingeschrieben.", count)


@bp.post("/einschreibungen/<int:enrollment_id>/status")
@roles_required("admin")
def enrollment_status(enrollment_id: int):
    enrollment = get_or_404(Enrollment, enrollment_id)
    status = request.form.get("status")
    if status not in ("active", "withdrawn"):
        abort(400)
    services.set_enrollment_status(enrollment, status)
    db.session.commit()
    flash(_("Status geändert."), "success")
    return redirect(url_for("programme.enrollments", series_id=enrollment.series_id))


# --- regions ----------------------------------------------------------------------------------


@bp.get("/regionen")
@roles_required("admin")
def regions():
    coordinator_counts = dict(
        db.session.execute(
            select(User.region_id, func.count())
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "coordinator", User.active.is_(True))
            .group_by(User.region_id)
        ).all()
    )
    regions = sorted(db.session.scalars(select(Region)), key=lambda r: (sort_key(r.regierungsbezirk), sort_key(r.name)))
    return render_template("programme/regions.html", regions=regions, coordinator_counts=coordinator_counts)


@bp.route("/regionen/<int:region_id>", methods=["GET", "POST"])
@roles_required("admin")
def region_edit(region_id: int):
    region = get_or_404(Region, region_id)
    form = RegionForm(obj=region)
    if form.validate_on_submit():
        try:
            services.update_region(region, form.values())
        except services.ProgrammeError as error:
            _fail(error)
        else:
            db.session.commit()
            flash(_("Änderungen gespeichert."), "success")
            return redirect(url_for("programme.regions"))
    return render_template("programme/region_form.html", form=form, region=region)
