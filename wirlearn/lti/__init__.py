"""LTI 1.3 (1EdTech): wirlearn as a tool that learning platforms such as Moodle and ILIAS launch.

- ``launch``: OIDC login initiation and the checks of a launch's id_token (PyJWT);
- ``accounts``: the platform's user linked to a wirlearn account (never merged by e-mail), the
  course linked to a series, and where a launch lands;
- ``deeplink``: a trainer adds wirlearn to a course and picks the series;
- ``roster``: Names and Role Provisioning Services into the series' enrolments (job ``lti.roster``);
- ``grades``: Assignment and Grade Services, results to the gradebook (job ``lti.scores``);
- ``registration``: LTI Dynamic Registration; ``platforms``: registrations and platform keys;
- ``keys``: the tool's own key pair and JWKS (separate from the certificate keys).

Why own code on PyJWT rather than pylti1p3: README.md, section "LTI 1.3".
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l

from wirlearn.core.lean import LeanSessionInterface
from wirlearn.core.navigation import add_nav_item

LTI_TABLES = (
    "lti_tool_keys",
    "lti_platforms",
    "lti_launches",
    "lti_user_links",
    "lti_contexts",
    "lti_line_items",
    "lti_scores",
    "lti_syncs",
)
SCORES_EVERY = 120  # seconds between looks for due retries


class EmbeddableSessionInterface(LeanSessionInterface):
    """The session cookie of a session started by a launch is ``SameSite=None`` (with
    ``Secure``, so in production only): the platform shows wirlearn in a frame, a cross-site
    context in which a ``Lax`` cookie is never sent. Every other session keeps ``Lax``. Built on
    the lean path's interface (``core/lean.py``), which keeps it."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        from wirlearn.lti.views import FRAME_KEY

        if app.config.get("SESSION_COOKIE_SECURE") and has_request_context() and session.get(FRAME_KEY):
            return "None"
        return super().get_cookie_samesite(app)


def allow_platform_frame(response: Response) -> Response:
    """after_request: pages of a launched session may be framed by that platform (only), and so
    may the pages a launch answers with before there is a session (``frame_this_page``)."""
    from wirlearn.lti.views import FRAME_KEY, PAGE_FRAME_KEY

    if not has_request_context():
        return response
    origin = g.get(PAGE_FRAME_KEY)
    if origin is None:
        # Only a request that carries a session cookie can belong to a launched session; looking
        # into the session otherwise would mark every public page as varying by cookie.
        if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return response
        origin = session.get(FRAME_KEY)
    if not origin or "Content-Security-Policy" not in response.headers:
        return response
    policy = response.headers["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = policy.replace("frame-ancestors 'none'", f"frame-ancestors 'self' {origin}")
    response.headers.pop("X-Frame-Options", None)
    return response


def forget_user(user, **_kwargs) -> None:
    """A person is anonymised or deleted: their platform identities go too."""
    from wirlearn.audit.services import record
    from wirlearn.lti.accounts import unlink_user

    removed = unlink_user(user.id)
    if removed:
        record("lti.accounts_unlinked", "user", user.id, subject_user_id=user.id, after={"count": removed})


def purge_launches() -> int:
    from wirlearn.lti.launch import purge_expired

    return purge_expired()


def register(app: Flask) -> None:
    from wirlearn import jobs, signals
    from wirlearn.core.changes import ignore_writes_to
    from wirlearn.lti import cli, grades, roster, views

    ignore_writes_to(*LTI_TABLES)
    app.session_interface = EmbeddableSessionInterface()
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.lti_cli)
    app.after_request(allow_platform_frame)
    jobs.register_job(app, "lti.roster", roster.run_sync)
    jobs.register_periodic(app, "lti.scores", grades.send_due, every=SCORES_EVERY)
    jobs.register_periodic(app, "lti.purge_launches", purge_launches, every=6 * 3600)
    signals.assessment_recorded.connect(grades.on_assessment_recorded, weak=False)
    signals.certificate_issued.connect(grades.on_certificate_issued, weak=False)
    signals.certificate_revoked.connect(grades.on_certificate_revoked, weak=False)
    signals.user_anonymised.connect(forget_user, weak=False)
    add_nav_item(app, "lti.admin", _l("Lernplattformen"), ("admin",), order=88)
