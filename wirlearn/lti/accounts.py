"""Who a launch is: the platform's ``sub`` per registration linked to a wirlearn account, and the
course (context) linked to a series.

Accounts are never merged by e-mail: an existing account is linked only after its owner has
signed in to wirlearn and confirmed. A learner whose e-mail address no account uses may have a
new participant account made for them; instructors are linked to an account the programme
office made. Admin accounts are never signed in through a platform.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, select

from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.lti.models import LtiContext, LtiLaunch, LtiUserLink


class LinkError(ValueError):
    """A link that cannot be made; the message says why, in German."""


def linked_user(platform_id: int, sub: str) -> User | None:
    link = db.session.scalars(select(LtiUserLink).where(LtiUserLink.platform_id == platform_id, LtiUserLink.sub == sub)).first()
    return db.session.get(User, link.user_id) if link else None


def can_sign_in(user: User) -> str | None:
    """Why ``user`` may not be signed in through a platform, or None."""
    if not user.active:
        return _("Ihr wirlearn-Konto ist deaktiviert. Bitte wenden Sie sich an die Programmverwaltung.")
    if user.has_role("admin"):
        return _("Konten mit der Rolle Admin melden sich nur direkt bei wirlearn an, nicht über eine Lernplattform.")
    return None


def link(launch: LtiLaunch, user: User) -> LtiUserLink:
    """Link the launch's platform user to ``user`` (who has just confirmed it)."""
    reason = can_sign_in(user)
    if reason:
        raise LinkError(reason)
    claims = launch.claims or {}
    if linked_user(launch.platform_id, claims["sub"]) is not None:
        raise LinkError(_("Dieses Konto der Lernplattform ist bereits mit wirlearn verbunden."))
    taken = db.session.scalar(
        select(LtiUserLink.id).where(LtiUserLink.platform_id == launch.platform_id, LtiUserLink.user_id == user.id)
    )
    if taken:
        raise LinkError(_("Ihr wirlearn-Konto ist bereits mit einem anderen Konto dieser Lernplattform verbunden."))
    row = LtiUserLink(platform_id=launch.platform_id, sub=claims["sub"], user_id=user.id)
    db.session.add(row)
    db.session.flush()
    record(
        "lti.account_linked",
        "lti_user_link",
        row.id,
        actor_id=user.id,
        subject_user_id=user.id,
        after={"platform_id": launch.platform_id, "sub": claims["sub"]},
    )
    return row


def may_create_account(claims: dict) -> bool:
    """A new participant account only for learners with an e-mail address no account uses."""
    from wirlearn.auth.services import find_user_id

    return claims.get("role") == "learner" and bool(claims.get("email")) and find_user_id(claims["email"]) is None


def create_account(launch: LtiLaunch, region_id: int | None) -> User:
    """A participant account for the launch's learner, in the Gebietskörperschaft they chose."""
    from wirlearn.users.services import UserAdminError, create_user

    claims = launch.claims or {}
    if not may_create_account(claims):
        raise LinkError(_("Für diesen Start kann kein neues Konto angelegt werden."))
    try:
        user = create_user(claims["email"], claims.get("name") or claims["email"], {"coordinator"}, region_id)
    except UserAdminError as error:
        raise LinkError(str(error)) from error
    link(launch, user)
    return user


def touch(platform_id: int, sub: str) -> None:
    db.session.execute(
        LtiUserLink.__table__.update()
        .where(LtiUserLink.platform_id == platform_id, LtiUserLink.sub == sub)
        .values(last_launch_at=utcnow())
    )


def unlink_user(user_id: int) -> int:
    """Forget every platform identity of a user (anonymisation, deletion)."""
    result = db.session.execute(delete(LtiUserLink).where(LtiUserLink.user_id == user_id))
    return result.rowcount or 0


# --- courses ----------------------------------------------------------------------------------


def find_context(platform_id: int, context_id: str | None) -> LtiContext | None:
    if not context_id:
        return None
    return db.session.scalars(
        select(LtiContext).where(LtiContext.platform_id == platform_id, LtiContext.context_id == context_id)
    ).first()


def context_for(platform_id: int, claims: dict) -> LtiContext | None:
    """The course of a launch, created on first sight; its service endpoints kept current."""
    context_id = claims.get("context_id")
    if not context_id:
        return None
    context = find_context(platform_id, context_id)
    if context is None:
        context = LtiContext(platform_id=platform_id, context_id=context_id, ags_scopes=[])
        db.session.add(context)
    context.title = claims.get("context_title") or context.title or ""
    if claims.get("memberships_url"):
        context.memberships_url = claims["memberships_url"]
    if claims.get("lineitems_url"):
        context.lineitems_url = claims["lineitems_url"]
    if claims.get("ags_scopes"):
        context.ags_scopes = list(claims["ags_scopes"])
    db.session.flush()
    return context


def link_series(context: LtiContext, series_id: int, user: User) -> None:
    """Link a course to a series (by someone who may work on that series)."""
    from wirlearn.programme.access import can_work_on_series

    if not can_work_on_series(user, series_id):
        raise LinkError(_("Sie können nur Reihen verknüpfen, in denen Sie unterrichten."))
    if context.series_id == series_id:
        return
    before = {"series_id": context.series_id}
    context.series_id = series_id
    record(
        "lti.course_linked",
        "lti_context",
        context.id,
        before=before,
        after={"series_id": series_id, "context_id": context.context_id, "title": context.title},
        series_id=series_id,
    )
    db.session.flush()


def destination(launch: LtiLaunch, user: User) -> str:
    """The page a launch lands on for ``user``."""
    from wirlearn.programme.access import can_work_on_series

    claims = launch.claims or {}
    if claims.get("message_type") == "LtiDeepLinkingRequest":
        return url_for("lti.deep_link", launch_id=launch.id)
    if claims.get("role") == "learner":
        # A staff account launched as a learner (a trainer trying the course) gets its start page.
        return url_for("progress.dashboard") if user.has_role("coordinator") else url_for("core.home")
    context = context_for(launch.platform_id, claims)
    if context is not None and context.series_id is None:
        return url_for("lti.link_course", launch_id=launch.id)
    if context is not None and can_work_on_series(user, context.series_id):
        return url_for("attendance.series_overview", series_id=context.series_id)
    return url_for("attendance.overview")
