"""LTI pages: login initiation, launch, the hand-over to wirlearn's pages (with account linking
and the new-window fallback), deep linking, the tool's JWKS, dynamic registration, and the
admins' page of registrations, courses, roster syncs and gradebook sends."""

from __future__ import annotations

from datetime import UTC

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from wirlearn.audit.services import record
from wirlearn.core.access import public, roles_required, signed_in
from wirlearn.core.security import CONTENT_SECURITY_POLICY
from wirlearn.core.timeutil import utcnow
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import csrf, db, limiter
from wirlearn.lti import accounts, deeplink, grades, keys, launch, platforms, registration, roster
from wirlearn.lti.forms import NewAccountForm, PlatformForm, SeriesChoiceForm
from wirlearn.lti.models import LtiContext, LtiLaunch, LtiPlatform, LtiScore, LtiSync

bp = Blueprint("lti", __name__)

FRAME_KEY = "lti_frame"  # the platform origin that may frame this session's pages
PAGE_FRAME_KEY = "lti_page_frame"  # (in g) the platform origin that may frame this one page


def frame_this_page(platform: LtiPlatform | None) -> None:
    """Let the platform show this page in its frame although no launched session exists (a
    refused launch, the new-window offer): that is where it was asked for, and a browser that
    keeps no cookie in the frame would otherwise show an empty frame instead of what to do."""
    if platform is not None:
        g.setdefault(PAGE_FRAME_KEY, platforms.origin(platform))


def _refused(error: launch.LaunchError, status: int = 400):
    db.session.rollback()  # nothing half: only the spent state and the audit event stay
    record("lti.launch_refused", "lti_platform", error.platform_id, after={"reason": error.reason})
    _spend_state()
    db.session.commit()
    if error.platform_id is not None:
        frame_this_page(db.session.get(LtiPlatform, error.platform_id))
    return make_response(render_template("lti/error.html", message=error.message, hint=error.hint), status)


def _spend_state() -> None:
    """A refused launch still uses up its state (single use, whatever the outcome)."""
    state = request.form.get("state")
    if state:
        db.session.execute(
            LtiLaunch.__table__.update()
            .where(LtiLaunch.state_hash == launch._hash(state), LtiLaunch.used_at.is_(None))
            .values(used_at=utcnow())
        )


# --- from the platform ------------------------------------------------------------------------


@bp.route("/lti/login", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit("30 per minute")
def login():
    """OIDC login initiation (third-party initiated): off to the platform's authentication."""
    try:
        started = launch.begin_login(request.values)
    except launch.LaunchError as error:
        return _refused(error)
    db.session.commit()
    response = redirect(started.redirect_to, code=302)
    cookie = started.cookie
    response.set_cookie(cookie.name, cookie.value, max_age=cookie.max_age, path=cookie.path, httponly=True, **_cross_site())
    return response


def _cross_site() -> dict:
    """The launch is a cross-site form post, in the platform's frame or a window of its own: the
    cookie must be ``SameSite=None`` (so ``Secure``) and, for Chromium's frames without
    third-party cookies, ``Partitioned`` (CHIPS). Over plain http (development, the browser
    tests) ``Secure`` follows the session cookie, and without it a browser only keeps ``Lax``, as
    for the session cookie of a launched session (``EmbeddableSessionInterface``)."""
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        return {"secure": True, "samesite": "None", "partitioned": True}
    return {"secure": False, "samesite": "Lax", "partitioned": False}


@bp.post("/lti/launch", endpoint="launch")
@public
@csrf.exempt
def launch_view():
    state = request.form.get("state")
    try:
        checked = launch.validate(
            request.form.get("id_token"), state, request.cookies.get(launch.browser_cookie_name(state)) if state else None
        )
    except launch.LaunchError as error:
        return _forget_browser_cookie(_refused(error), state)
    claims = checked.claims
    user = accounts.linked_user(checked.platform.id, claims["sub"])
    record(
        "lti.launch",
        "lti_platform",
        checked.platform.id,
        subject_user_id=user.id if user else None,
        after={k: claims.get(k) for k in ("message_type", "deployment_id", "role", "context_id")},
    )
    if claims["role"] != "none":
        accounts.context_for(checked.platform.id, claims)
    db.session.commit()
    return _forget_browser_cookie(redirect(url_for("lti.handoff", token=checked.handoff), code=302), state)


def _forget_browser_cookie(response, state: str | None):
    """The state is spent, whatever the outcome: so is the cookie that bound it."""
    if state:
        response.delete_cookie(
            launch.browser_cookie_name(state), path=launch.browser_cookie_path(), httponly=True, **_cross_site()
        )
    return response


def _sign_in(record_: LtiLaunch, user, token: str):
    """Sign ``user`` in for this launch; the hand-over is spent once the session is seen."""
    from wirlearn.auth.services import begin_second_step, start_session

    if current_user.is_authenticated and current_user.id == user.id:
        record_.handoff_used_at = utcnow()
        record_.claims = {**(record_.claims or {}), "user_id": user.id}
        accounts.touch(record_.platform_id, record_.claims["sub"])
        target = accounts.destination(record_, user)
        db.session.commit()
        return redirect(target)
    if user.totp_enabled:
        # A second factor, where the account has one, is asked for here as at every sign-in.
        record_.handoff_used_at = utcnow()
        record_.claims = {**(record_.claims or {}), "user_id": user.id}
        begin_second_step(user, accounts.destination(record_, user))
        db.session.commit()
        return redirect(url_for("auth.second_factor"))
    if request.args.get("erneut"):
        # Signed in a moment ago, and the cookie did not come back: the browser blocks cookies
        # in the platform's frame. The same link works in a window of its own.
        db.session.rollback()
        frame_this_page(record_.platform)
        return render_template("lti/new_window.html", token=token), 200
    start_session(user)
    session[FRAME_KEY] = platforms.origin(record_.platform)
    db.session.commit()
    return redirect(url_for("lti.handoff", token=token, erneut=1))


def _signed_in_for(record_: LtiLaunch) -> bool:
    """Whether the person signed in after this launch began: only then may they link it. A
    session from before could be a victim's, lured to someone else's hand-over link."""
    started = record_.created_at.replace(tzinfo=UTC).timestamp()
    return current_user.is_authenticated and int(session.get("login_at", 0)) >= int(started)


def _link_page(record_: LtiLaunch, token: str, form: NewAccountForm):
    claims = record_.claims
    return render_template(
        "lti/link.html",
        token=token,
        claims=claims,
        platform=record_.platform,
        may_create=accounts.may_create_account(claims),
        fresh=_signed_in_for(record_),
        form=form,
    )


@bp.get("/lti/weiter/<token>")
@public
def handoff(token: str):
    record_ = launch.launch_for_handoff(token)
    if record_ is None:
        return render_template(
            "lti/error.html",
            message=_(
                "Dieser Link ist abgelaufen oder wurde schon verwendet. Bitte starten Sie wirlearn erneut aus der Lernplattform."
            ),
        ), 410
    claims = record_.claims
    if claims.get("role") == "none":
        return render_template("lti/no_access.html"), 403
    user = accounts.linked_user(record_.platform_id, claims["sub"])
    if user is None:
        return _link_page(record_, token, NewAccountForm(formdata=None))
    reason = accounts.can_sign_in(user)
    if reason:
        return render_template("lti/error.html", message=reason), 403
    return _sign_in(record_, user, token)


@bp.post("/lti/weiter/<token>/verbinden")
@signed_in
def link_account(token: str):
    record_ = launch.launch_for_handoff(token)
    if record_ is None:
        abort(410)
    if not _signed_in_for(record_):
        flash(_("Bitte melden Sie sich zur Bestätigung erneut an."), "error")
        return redirect(url_for("lti.handoff", token=token))
    try:
        accounts.link(record_, current_user._get_current_object())
    except accounts.LinkError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("lti.handoff", token=token))
    db.session.commit()
    flash(_("Ihr wirlearn-Konto ist jetzt mit der Lernplattform verbunden."), "success")
    return redirect(url_for("lti.handoff", token=token))


@bp.post("/lti/weiter/<token>/neu-anmelden")
@signed_in
def sign_in_again(token: str):
    """Signed in from before the launch: sign out here, then in again to confirm the link."""
    from wirlearn.auth.services import end_session

    end_session(current_user._get_current_object(), everywhere=False)
    db.session.commit()
    return redirect(url_for("auth.login", next=url_for("lti.handoff", token=token)))


@bp.post("/lti/weiter/<token>/neues-konto")
@public
@limiter.limit("20 per hour")
def create_account(token: str):
    record_ = launch.launch_for_handoff(token)
    if record_ is None:
        abort(410)
    form = NewAccountForm()
    if not form.validate() or not form.region_id.data:
        return _link_page(record_, token, form), 422
    try:
        accounts.create_account(record_, form.region_id.data)
    except accounts.LinkError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _link_page(record_, token, form), 422
    db.session.commit()
    return redirect(url_for("lti.handoff", token=token))


def _series_choices(user) -> list[tuple[int, str]]:
    from wirlearn.programme.access import visible_series

    return [(series.id, series.title) for series in visible_series(user)]


def _own_launch(launch_id: int, message_type: str | None) -> LtiLaunch:
    record_ = db.session.get(LtiLaunch, launch_id)
    if not deeplink.usable_launch(record_, current_user.id, message_type):
        abort(404)
    return record_


@bp.route("/lti/deep-linking/<int:launch_id>", methods=["GET", "POST"])
@roles_required("trainer")
def deep_link(launch_id: int):
    """A trainer adds wirlearn to a course: pick the series, back to the platform."""
    from wirlearn.programme.models import Series

    record_ = _own_launch(launch_id, launch.DEEP_LINKING)
    form = SeriesChoiceForm()
    form.series_id.choices = _series_choices(current_user)
    if form.validate_on_submit():
        try:
            token = deeplink.choose(record_, db.session.get(Series, form.series_id.data), current_user._get_current_object())
        except accounts.LinkError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            return_url = record_.claims["deep_link_return_url"]
            response = make_response(render_template("lti/deep_link_return.html", return_url=return_url, jwt=token))
            # The answer is a form post to the platform: allow that one origin as a form target.
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
                "form-action 'self'", f"form-action 'self' {platforms.origin_of(return_url)}"
            )
            return response
    return render_template(
        "lti/choose_series.html", form=form, deep_linking=True, context_title=record_.claims.get("context_title")
    )


@bp.route("/lti/kurs/<int:launch_id>", methods=["GET", "POST"])
@roles_required("trainer")
def link_course(launch_id: int):
    """First instructor launch from a course not linked yet: pick its series."""
    from wirlearn.programme.models import Series

    record_ = _own_launch(launch_id, None)
    context = accounts.find_context(record_.platform_id, record_.claims.get("context_id"))
    if context is None:
        abort(404)
    form = SeriesChoiceForm()
    form.series_id.choices = _series_choices(current_user)
    if form.validate_on_submit():
        try:
            accounts.link_series(context, db.session.get(Series, form.series_id.data).id, current_user._get_current_object())
        except accounts.LinkError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Der Kurs ist jetzt mit der Reihe verknüpft."), "success")
            return redirect(url_for("attendance.series_overview", series_id=context.series_id))
    return render_template("lti/choose_series.html", form=form, deep_linking=False, context_title=context.title)


@bp.get("/lti/jwks.json")
@public
def jwks():
    document = keys.jwks()
    db.session.commit()  # the first key, made on first use
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/lti/register")
@public
@limiter.limit("10 per hour")
def dynamic_registration():
    """LTI Dynamic Registration, started by the platform's administrator in the platform."""
    try:
        platform = registration.register(request.args.get("openid_configuration"), request.args.get("registration_token"))
    except registration.DynamicRegistrationError as error:
        db.session.rollback()
        return render_template("lti/registered.html", error=str(error)), 400
    db.session.commit()
    return render_template("lti/registered.html", platform=platform, error=None)


# --- the admins' page -------------------------------------------------------------------------


def tool_urls() -> dict[str, str]:
    return {
        "login": public_url_for("lti.login"),
        "launch": public_url_for("lti.launch"),
        "jwks": public_url_for("lti.jwks"),
        "register": public_url_for("lti.dynamic_registration"),
    }


@bp.get("/verwaltung/lti")
@roles_required("admin")
def admin():
    registered = db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.status.desc(), LtiPlatform.name)).all()
    contexts = db.session.scalars(select(LtiContext).order_by(LtiContext.platform_id, LtiContext.title)).all()
    from wirlearn.programme.models import Series

    series_titles = dict(db.session.execute(select(Series.id, Series.title)).all())
    score_counts = dict(db.session.execute(select(LtiScore.status, func.count()).group_by(LtiScore.status)).all())
    failed_scores = db.session.scalars(
        select(LtiScore).where(LtiScore.status == "failed").order_by(LtiScore.id.desc()).limit(50)
    ).all()
    syncs = db.session.scalars(select(LtiSync).order_by(LtiSync.id.desc()).limit(10)).all()
    series_form = SeriesChoiceForm()
    series_form.series_id.choices = _series_choices(current_user)
    return render_template(
        "lti/admin.html",
        series_form=series_form,
        platforms=registered,
        contexts=contexts,
        series_titles=series_titles,
        score_counts=score_counts,
        failed_scores=failed_scores,
        syncs=syncs,
        urls=tool_urls(),
    )


@bp.route("/verwaltung/lti/neu", methods=["GET", "POST"])
@roles_required("admin")
def new_platform():
    form = PlatformForm()
    if form.validate_on_submit():
        try:
            platform = platforms.create(form.values())
        except platforms.RegistrationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Die Lernplattform „%(name)s“ ist registriert.", name=platform.name), "success")
            return redirect(url_for("lti.admin"))
    return render_template("lti/platform_form.html", form=form, platform=None, urls=tool_urls())


@bp.route("/verwaltung/lti/<int:platform_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_platform(platform_id: int):
    platform = db.session.get(LtiPlatform, platform_id) or abort(404)
    form = PlatformForm(obj=platform) if request.method == "GET" else PlatformForm()
    if request.method == "GET":
        form.deployment_ids.data = "\n".join(platform.deployment_ids or [])
    if form.validate_on_submit():
        try:
            platforms.update(platform, form.values())
        except platforms.RegistrationError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Die Registrierung ist gespeichert."), "success")
            return redirect(url_for("lti.admin"))
    return render_template("lti/platform_form.html", form=form, platform=platform, urls=tool_urls())


@bp.post("/verwaltung/lti/<int:platform_id>/bestaetigen")
@roles_required("admin")
def confirm_platform(platform_id: int):
    platform = db.session.get(LtiPlatform, platform_id) or abort(404)
    platforms.confirm(platform)
    db.session.commit()
    flash(_("Die Lernplattform „%(name)s“ kann wirlearn jetzt starten.", name=platform.name), "success")
    return redirect(url_for("lti.admin"))


@bp.post("/verwaltung/lti/<int:platform_id>/loeschen")
@roles_required("admin")
def delete_platform(platform_id: int):
    platform = db.session.get(LtiPlatform, platform_id) or abort(404)
    name = platform.name
    platforms.delete(platform)
    db.session.commit()
    flash(_("Die Registrierung von „%(name)s“ ist gelöscht.", name=name), "success")
    return redirect(url_for("lti.admin"))


@bp.post("/verwaltung/lti/kurse/<int:context_id>/reihe")
@roles_required("admin")
def course_series(context_id: int):
    """The programme office links a course to a series (or changes the link)."""
    from wirlearn.programme.models import Series

    context = db.session.get(LtiContext, context_id) or abort(404)
    form = SeriesChoiceForm()
    form.series_id.choices = _series_choices(current_user)
    if not form.validate() or db.session.get(Series, form.series_id.data) is None:
        flash(_("Bitte wählen Sie eine Reihe."), "error")
        return redirect(url_for("lti.admin"))
    accounts.link_series(context, form.series_id.data, current_user._get_current_object())
    db.session.commit()
    flash(_("Der Kurs ist jetzt mit der Reihe verknüpft."), "success")
    return redirect(url_for("lti.admin"))


@bp.post("/verwaltung/lti/kurse/<int:context_id>/abgleich")
@roles_required("admin")
def sync_roster(context_id: int):
    context = db.session.get(LtiContext, context_id) or abort(404)
    try:
        sync = roster.request_sync(context, current_user.id)
    except roster.SyncError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("lti.admin"))
    db.session.commit()
    return redirect(url_for("lti.sync_result", sync_id=sync.id))


@bp.get("/verwaltung/lti/abgleiche/<int:sync_id>")
@roles_required("admin")
def sync_result(sync_id: int):
    sync = db.session.get(LtiSync, sync_id) or abort(404)
    return render_template("lti/sync.html", sync=sync)


@bp.post("/verwaltung/lti/ergebnisse/<int:score_id>/erneut")
@roles_required("admin")
def retry_score(score_id: int):
    score = db.session.get(LtiScore, score_id) or abort(404)
    grades.retry(score)
    db.session.commit()
    flash(_("Das Ergebnis wird erneut gesendet."), "success")
    return redirect(url_for("lti.admin"))
