"""Roster sync: the course's members (Names and Role Provisioning Services 2.0) into the
series' enrolments.

The course's active learners who are linked to a wirlearn account are enrolled; those without
one are listed (they link or create their account at their first launch, choosing their
Gebietskörperschaft, and the next sync enrols them; an address an account already uses is never
merged). People enrolled through the platform who left the course are listed for the programme
office to decide, never withdrawn silently. Running it again changes nothing more (idempotent).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.audit.services import record
from wirlearn.auth.models import User
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.lti import access_tokens, http
from wirlearn.lti.launch import role_kind
from wirlearn.lti.models import LtiContext, LtiSync, LtiUserLink

MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 50
STALE_AFTER = timedelta(hours=1)


class SyncError(ValueError):
    """A sync that cannot start; the message says why, in German."""


def request_sync(context: LtiContext, requested_by_id: int | None) -> LtiSync:
    """Queue a sync (the job ``lti.roster`` runs it after the commit)."""
    from wirlearn import jobs

    if context.series_id is None:
        raise SyncError(_("Dieser Kurs ist noch mit keiner Reihe verknüpft."))
    if not context.memberships_url:
        raise SyncError(_("Die Lernplattform hat für diesen Kurs keine Teilnehmerliste (Names and Roles) freigegeben."))
    # A sync whose worker died long ago does not block the next one.
    running = db.session.scalar(
        select(LtiSync.id).where(
            LtiSync.context_id == context.id,
            LtiSync.status.in_(("queued", "running")),
            LtiSync.created_at > utcnow() - STALE_AFTER,
        )
    )
    if running:
        raise SyncError(_("Für diesen Kurs läuft bereits ein Abgleich."))
    sync = LtiSync(context_id=context.id, requested_by_id=requested_by_id, status="queued")
    db.session.add(sync)
    db.session.flush()
    jobs.enqueue("lti.roster", sync_id=sync.id)
    return sync


def fetch_members(context: LtiContext) -> list[dict]:
    token = access_tokens.access_token(context.platform, [access_tokens.NRPS_SCOPE])
    url: str | None = context.memberships_url
    members: list[dict] = []
    for _page in range(MAX_PAGES):
        if url is None:
            break
        document, response = http.get_json(url, headers=access_tokens.bearer(token, MEMBERSHIP_MEDIA_TYPE))
        if not isinstance(document, dict) or not isinstance(document.get("members"), list):
            raise http.PlatformError(f"{url} is not a membership container")
        members.extend(member for member in document["members"] if isinstance(member, dict))
        url = response.links.get("next", {}).get("url")
    return members


def _enroll(series_id: int, user_id: int) -> str:
    from wirlearn.programme.models import Enrollment, Series
    from wirlearn.programme.services import ProgrammeError, enroll

    existing = db.session.scalars(
        select(Enrollment).where(Enrollment.series_id == series_id, Enrollment.user_id == user_id)
    ).first()
    if existing is not None and existing.status != "withdrawn":
        return "unchanged"
    try:
        result = enroll(db.session.get(Series, series_id), [user_id])
    except ProgrammeError:
        return "not_coordinator"
    return "enrolled" if result.added or result.reactivated else "unchanged"


def apply_members(context: LtiContext, members: list[dict]) -> dict:
    """Enrol the course's active learners in the series; returns the summary shown to the office."""
    from wirlearn.auth.services import find_user_id
    from wirlearn.programme.models import Enrollment

    platform_id = context.platform_id
    links = {
        link.sub: link.user_id for link in db.session.scalars(select(LtiUserLink).where(LtiUserLink.platform_id == platform_id))
    }
    summary: dict = {"enrolled": [], "unchanged": 0, "no_account": [], "needs_link": [], "skipped": [], "left": []}
    present_user_ids: set[int] = set()
    for member in members:
        sub = member.get("user_id")
        if not isinstance(sub, str) or not sub:
            continue
        if member.get("status", "Active") != "Active" or role_kind(member.get("roles") or []) != "learner":
            continue
        name = str(member.get("name") or " ".join(str(member.get(k) or "") for k in ("given_name", "family_name"))).strip()
        email = str(member.get("email") or "").strip().lower()
        user_id = links.get(sub)
        if user_id is None:
            # No account is made here: wirlearn needs the person's Gebietskörperschaft, which
            # the platform does not know. At their first launch they link or create an account;
            # the next sync enrols them. An address an account uses is never merged.
            key = "needs_link" if email and find_user_id(email) is not None else "no_account"
            summary[key].append({"name": name or email or sub, "email": email})
            continue
        present_user_ids.add(user_id)
        outcome = _enroll(context.series_id, user_id)
        if outcome == "enrolled":
            summary["enrolled"].append({"user_id": user_id, "name": name or email})
        elif outcome == "not_coordinator":
            summary["skipped"].append({"name": name or email, "reason": "not_coordinator"})
        else:
            summary["unchanged"] += 1
    linked_ids = set(links.values())
    enrolled = db.session.execute(
        select(Enrollment.user_id, User.display_name)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.series_id == context.series_id, Enrollment.status == "active")
        .order_by(User.display_name)
    ).all()
    summary["left"] = [
        {"user_id": user_id, "name": name}
        for user_id, name in enrolled
        if user_id in linked_ids and user_id not in present_user_ids
    ]
    return summary


def run_sync(sync_id: int) -> dict | None:
    """Job ``lti.roster``. A platform that fails marks the sync failed with the reason."""
    sync = db.session.get(LtiSync, sync_id)
    if sync is None or sync.status not in ("queued", "running"):
        return None
    sync.status = "running"
    context = sync.context
    try:
        members = fetch_members(context)
    except http.PlatformError as error:
        sync.status = "failed"
        sync.error = str(error)[:1000]
        sync.finished_at = utcnow()
        record("lti.roster_failed", "lti_context", context.id, series_id=context.series_id, after={"error": sync.error})
        return None
    summary = apply_members(context, members)
    sync.summary = summary
    sync.status = "done"
    sync.finished_at = utcnow()
    record(
        "lti.roster_synced",
        "lti_context",
        context.id,
        series_id=context.series_id,
        after={
            "enrolled": len(summary["enrolled"]),
            "no_account": len(summary["no_account"]),
            "unchanged": summary["unchanged"],
            "needs_link": len(summary["needs_link"]),
            "left": len(summary["left"]),
        },
    )
    return summary
