"""Deep linking: a trainer picks a series while adding wirlearn to a course; the platform gets
a signed LtiDeepLinkingResponse with one resource link, and the course is linked to the series."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask_babel import gettext as _

from wirlearn.audit.services import record
from wirlearn.core.timeutil import utcnow
from wirlearn.core.urls import public_url_for
from wirlearn.lti import accounts, keys
from wirlearn.lti.launch import DL, LTI, RESOURCE_LINK_ITEM, VERSION
from wirlearn.lti.models import LtiLaunch

# How long after the launch the trainer may take to pick a series.
PICK_WITHIN = timedelta(hours=1)


def usable_launch(launch: LtiLaunch | None, user_id: int, message_type: str | None) -> bool:
    """A launch this signed-in user made (of this kind, when given), recently enough."""
    if launch is None or launch.claims is None:
        return False
    if message_type is not None and launch.claims.get("message_type") != message_type:
        return False
    if launch.claims.get("user_id") != user_id:
        return False
    return launch.created_at > utcnow() - PICK_WITHIN


def response_token(launch: LtiLaunch, series) -> str:
    claims = launch.claims or {}
    platform = launch.platform
    now = int(time.time())
    payload = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": secrets.token_urlsafe(16),
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": VERSION,
        LTI + "deployment_id": claims["deployment_id"],
        DL + "content_items": [
            {
                "type": RESOURCE_LINK_ITEM,
                "title": series.title,
                "text": _("Anwesenheit, Bewertungen und Fortschritt in wirlearn"),
                "url": public_url_for("lti.launch"),
                "custom": {"series_id": str(series.id)},
            }
        ],
    }
    if claims.get("deep_link_data"):
        payload[DL + "data"] = claims["deep_link_data"]
    return keys.sign(payload)


def choose(launch: LtiLaunch, series, user) -> str:
    """Link the course to ``series`` and return the signed answer for the platform."""
    context = accounts.context_for(launch.platform_id, launch.claims or {})
    if context is not None:
        accounts.link_series(context, series.id, user)
    elif not _may_work(user, series.id):
        raise accounts.LinkError(_("Sie können nur Reihen verknüpfen, in denen Sie unterrichten."))
    record(
        "lti.deep_link",
        "lti_platform",
        launch.platform_id,
        series_id=series.id,
        after={"context_id": (launch.claims or {}).get("context_id"), "series_id": series.id},
    )
    return response_token(launch, series)


def _may_work(user, series_id: int) -> bool:
    from wirlearn.programme.access import can_work_on_series

    return can_work_on_series(user, series_id)
