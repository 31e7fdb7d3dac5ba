"""OIDC third-party-initiated login and the checks of a launch's ``id_token`` (LTI 1.3 core,
1EdTech Security Framework 1.0), on PyJWT.

Every check that refuses a launch raises ``LaunchError`` with a reason key (for the audit trail
and the tests) and a German sentence for the page; nothing is created for a refused launch.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import jwt
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from wirlearn.core.timeutil import utcnow
from wirlearn.core.urls import public_url_for
from wirlearn.extensions import db
from wirlearn.lti import http, platforms
from wirlearn.lti.models import LtiLaunch, LtiPlatform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
VERSION = "1.3.0"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK, DEEP_LINKING)
RESOURCE_LINK_ITEM = "ltiResourceLink"  # the one kind of content item deep linking returns
STATE_LIFETIME = timedelta(minutes=10)
# The hand-over from the launch to wirlearn's page; long enough to sign in and confirm a link.
HANDOFF_LIFETIME = timedelta(minutes=15)
LEEWAY_SECONDS = 60  # clocks of platform and tool differ a little

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
# Roles are mapped explicitly; anything else (Mentor, Administrator, guests …) gets no access.
INSTRUCTOR_ROLES = frozenset(
    {
        MEMBERSHIP + "Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        MEMBERSHIP + "TeachingAssistant",
        "Instructor",  # the short form some platforms send for context roles
    }
)
LEARNER_ROLES = frozenset(
    {MEMBERSHIP + "Learner", "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Learner", "Learner"}
)


class LaunchError(Exception):
    def __init__(self, reason: str, message: str, platform_id: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.platform_id = platform_id
        self.hint = hint  # what the person can do about it, where there is something


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def role_kind(roles: list) -> str:
    """ "instructor", "learner" or "none" (least access) from the launch's role URIs."""
    given = {role for role in roles if isinstance(role, str)}
    if given & INSTRUCTOR_ROLES:
        return "instructor"
    if given & LEARNER_ROLES:
        return "learner"
    return "none"


# --- the browser a login began in -----------------------------------------------------------------
#
# The launch is a form post from the platform; without more, anyone holding an ``id_token`` and
# ``state`` (their own, from their own platform account) could make someone else's browser post
# them and sign that browser in as themselves (login CSRF). So login initiation gives the browser
# a cookie bound to the state, and the launch is only accepted from a browser that has it
# (OpenID Connect Core 1.0, 3.1.2.1: the state is bound to the user agent by a cookie).
#
# The cookie holds a keyed hash of the state (HMAC with the app's secret): the browser that got
# the state has it, no one can make it from the state alone, so a state and id_token that leak
# (a platform's log, a proxy) are worth nothing without the browser. Its name carries part of
# the state's stored hash, so two launches started at once in one browser (two activities on
# one course page) each keep their own cookie.

BROWSER_COOKIE_PREFIX = "wirlearn-lti-"


@dataclass
class BrowserCookie:
    name: str
    value: str
    path: str
    max_age: int


def _browser_value(state: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(key, b"wirlearn.lti-browser\0" + state.encode(), hashlib.sha256).hexdigest()


def browser_cookie_name(state: str) -> str:
    return BROWSER_COOKIE_PREFIX + _hash(state)[:16]


def browser_cookie_path() -> str:
    """The path of the launch address the platform posts to: the cookie goes nowhere else."""
    return urlsplit(public_url_for("lti.launch")).path or "/"


def browser_cookie(state: str) -> BrowserCookie:
    return BrowserCookie(
        browser_cookie_name(state), _browser_value(state), browser_cookie_path(), int(STATE_LIFETIME.total_seconds())
    )


def _check_browser(launch: LtiLaunch, state: str, cookie: str | None) -> None:
    if not cookie or not hmac.compare_digest(cookie.encode(), _browser_value(state).encode()):
        raise LaunchError(
            "state_foreign_browser",
            _(
                "Dieser Start wurde in einem anderen Browser begonnen, oder Ihr Browser hat das Cookie von wirlearn "
                "für diesen Start nicht behalten. Zu Ihrer Sicherheit meldet wirlearn Sie deshalb nicht an."
            ),
            launch.platform_id,
            hint=_(
                "Bitte starten Sie wirlearn erneut aus der Lernplattform. Sperrt Ihr Browser Cookies in "
                "eingebetteten Seiten (etwa Safari), öffnen Sie wirlearn in der Lernplattform in einem neuen Fenster."
            ),
        )


# --- login initiation -------------------------------------------------------------------------


@dataclass
class Login:
    redirect_to: str  # the platform's authentication request
    cookie: BrowserCookie  # binds the state to this browser


def begin_login(params) -> Login:
    """Answer the platform's login initiation: remember a fresh ``state`` and ``nonce`` and
    return the address of the platform's authentication request to send the browser to, with
    the cookie that binds the state to this browser."""
    issuer = (params.get("iss") or "").strip()
    login_hint = params.get("login_hint") or ""
    target = params.get("target_link_uri") or ""
    if not issuer or not login_hint or not target:
        raise LaunchError(
            "login_incomplete", _("Der Start aus der Lernplattform war unvollständig (iss, login_hint, target_link_uri).")
        )
    platform = platforms.find(issuer, params.get("client_id"))
    if platform is None:
        raise LaunchError("unknown_platform", _("Diese Lernplattform ist in wirlearn nicht registriert."))
    if platform.status != "active":
        raise LaunchError("platform_pending", _("Die Registrierung dieser Lernplattform ist noch nicht bestätigt."), platform.id)
    deployment = params.get("lti_deployment_id")
    if deployment and deployment not in (platform.deployment_ids or []):
        raise LaunchError(
            "unknown_deployment", _("Dieses Deployment der Lernplattform ist in wirlearn nicht freigegeben."), platform.id
        )
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LtiLaunch(
            platform_id=platform.id,
            state_hash=_hash(state),
            nonce=nonce,
            target_link_uri=target[:1000],
            created_at=now,
            expires_at=now + STATE_LIFETIME,
        )
    )
    db.session.flush()
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": public_url_for("lti.launch"),
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return Login(platform.auth_login_url + separator + urlencode(query), browser_cookie(state))


# --- the launch -------------------------------------------------------------------------------


@dataclass
class Launch:
    record: LtiLaunch
    platform: LtiPlatform
    claims: dict
    handoff: str


def _take_state(state: str | None) -> LtiLaunch:
    if not state:
        raise LaunchError("state_missing", _("Der Start enthält keinen Sicherheitswert (state)."))
    launch = db.session.scalars(select(LtiLaunch).where(LtiLaunch.state_hash == _hash(state)).with_for_update()).first()
    if launch is None:
        raise LaunchError(
            "state_unknown", _("Dieser Start ist wirlearn unbekannt. Bitte starten Sie wirlearn erneut aus der Lernplattform.")
        )
    if launch.used_at is not None:
        raise LaunchError(
            "state_used",
            _("Dieser Start wurde bereits verwendet. Bitte starten Sie wirlearn erneut aus der Lernplattform."),
            launch.platform_id,
        )
    launch.used_at = utcnow()  # single use, whatever the outcome
    db.session.flush()
    if launch.expires_at < launch.used_at:
        raise LaunchError(
            "state_expired",
            _("Der Start ist abgelaufen. Bitte starten Sie wirlearn erneut aus der Lernplattform."),
            launch.platform_id,
        )
    return launch


def _decode(token: str, platform: LtiPlatform) -> dict:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise LaunchError("malformed", _("Das Anmeldetoken der Lernplattform ist beschädigt."), platform.id) from error
    if header.get("alg") != "RS256":
        raise LaunchError("bad_algorithm", _("Das Anmeldetoken ist nicht mit RS256 signiert."), platform.id)
    try:
        key = platforms.signing_key(platform, header.get("kid"))
    except platforms.UnknownKey as error:
        raise LaunchError(
            "unknown_key", _("Das Anmeldetoken ist mit einem unbekannten Schlüssel signiert."), platform.id
        ) from error
    except http.PlatformError as error:
        raise LaunchError(
            "jwks_unavailable",
            _("Die Schlüssel der Lernplattform sind gerade nicht abrufbar. Bitte versuchen Sie es gleich noch einmal."),
            platform.id,
        ) from error
    try:
        return jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "sub", "exp", "iat", "nonce"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise LaunchError("expired", _("Das Anmeldetoken der Lernplattform ist abgelaufen."), platform.id) from error
    except jwt.InvalidAudienceError as error:
        raise LaunchError(
            "wrong_audience", _("Das Anmeldetoken ist nicht für wirlearn ausgestellt (aud)."), platform.id
        ) from error
    except jwt.InvalidIssuerError as error:
        raise LaunchError(
            "wrong_issuer", _("Das Anmeldetoken stammt nicht von dieser Lernplattform (iss)."), platform.id
        ) from error
    except jwt.InvalidSignatureError as error:
        raise LaunchError("bad_signature", _("Die Signatur des Anmeldetokens ist ungültig."), platform.id) from error
    except jwt.ImmatureSignatureError as error:
        raise LaunchError("not_yet_valid", _("Das Anmeldetoken ist noch nicht gültig."), platform.id) from error
    except jwt.MissingRequiredClaimError as error:
        raise LaunchError(
            "missing_claim", _("Im Anmeldetoken fehlt die Angabe „%(claim)s“.", claim=error.claim), platform.id
        ) from error
    except jwt.InvalidTokenError as error:
        raise LaunchError("malformed", _("Das Anmeldetoken der Lernplattform ist beschädigt."), platform.id) from error


def _require(claims: dict, name: str, platform: LtiPlatform, kind=str):
    value = claims.get(name)
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise LaunchError("missing_claim", _("Im Anmeldetoken fehlt die Angabe „%(claim)s“.", claim=name), platform.id)
    return value


def check_claims(claims: dict, platform: LtiPlatform, nonce: str) -> dict:
    """The LTI checks on a decoded token; returns what the next steps need."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise LaunchError("wrong_azp", _("Das Anmeldetoken ist für eine andere Anwendung bestimmt (azp)."), platform.id)
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise LaunchError("nonce_mismatch", _("Das Anmeldetoken gehört nicht zu diesem Start (nonce)."), platform.id)
    if claims.get(LTI + "version") != VERSION:
        raise LaunchError("wrong_version", _("wirlearn unterstützt nur LTI 1.3.0."), platform.id)
    message_type = claims.get(LTI + "message_type")
    if message_type not in MESSAGE_TYPES:
        raise LaunchError("unknown_message_type", _("Diese Art von Start unterstützt wirlearn nicht."), platform.id)
    deployment = _require(claims, LTI + "deployment_id", platform)
    if deployment not in (platform.deployment_ids or []):
        raise LaunchError(
            "unknown_deployment", _("Dieses Deployment der Lernplattform ist in wirlearn nicht freigegeben."), platform.id
        )
    sub = _require(claims, "sub", platform)
    roles = _require(claims, LTI + "roles", platform, list)
    context = claims.get(LTI + "context") if isinstance(claims.get(LTI + "context"), dict) else {}
    summary = {
        "message_type": message_type,
        "deployment_id": deployment,
        "sub": sub[:255],
        "name": str(claims.get("name") or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name"))).strip()[
            :200
        ],
        "email": str(claims.get("email") or "").strip().lower()[:254],
        "role": role_kind(roles),
        "context_id": str(context.get("id") or "")[:255],
        "context_title": str(context.get("title") or context.get("label") or "")[:300],
    }
    if message_type == RESOURCE_LINK:
        link = _require(claims, LTI + "resource_link", platform, dict)
        if not isinstance(link.get("id"), str) or not link["id"]:
            raise LaunchError(
                "missing_claim", _("Im Anmeldetoken fehlt die Angabe „%(claim)s“.", claim="resource_link.id"), platform.id
            )
        summary["resource_link_id"] = link["id"][:255]
        custom = claims.get(LTI + "custom") if isinstance(claims.get(LTI + "custom"), dict) else {}
        summary["custom_series_id"] = str(custom.get("series_id") or "")[:20]
    else:
        settings = _require(claims, DL + "deep_linking_settings", platform, dict)
        if not isinstance(settings.get("deep_link_return_url"), str) or not settings["deep_link_return_url"]:
            raise LaunchError(
                "missing_claim", _("Im Anmeldetoken fehlt die Angabe „%(claim)s“.", claim="deep_link_return_url"), platform.id
            )
        accepted = settings.get("accept_types")
        if isinstance(accepted, (list, str)) and RESOURCE_LINK_ITEM not in (
            [accepted] if isinstance(accepted, str) else accepted
        ):
            raise LaunchError(
                "content_type_not_accepted",
                _("Die Lernplattform erwartet hier einen anderen Inhalt als eine Aktivität (LTI-Link)."),
                platform.id,
                hint=_("Fügen Sie wirlearn im Kurs als Aktivität hinzu, dann bietet die Lernplattform die Auswahl der Reihe an."),
            )
        summary["deep_link_return_url"] = settings["deep_link_return_url"][:1000]
        summary["deep_link_data"] = settings.get("data") if isinstance(settings.get("data"), str) else None
    nrps = claims.get(NRPS_CLAIM)
    if isinstance(nrps, dict) and isinstance(nrps.get("context_memberships_url"), str):
        summary["memberships_url"] = nrps["context_memberships_url"][:1000]
    ags = claims.get(AGS_CLAIM)
    if isinstance(ags, dict):
        if isinstance(ags.get("lineitems"), str):
            summary["lineitems_url"] = ags["lineitems"][:1000]
        summary["ags_scopes"] = [scope for scope in ags.get("scope") or [] if isinstance(scope, str)][:10]
    return summary


def validate(id_token: str | None, state: str | None, browser_cookie_value: str | None) -> Launch:
    """Check a launch (form post of ``id_token`` and ``state``, and the cookie of the browser
    the login began in) completely."""
    launch = _take_state(state)
    _check_browser(launch, state, browser_cookie_value)
    platform = launch.platform
    if platform.status != "active":
        raise LaunchError("platform_pending", _("Die Registrierung dieser Lernplattform ist noch nicht bestätigt."), platform.id)
    if not id_token:
        raise LaunchError("token_missing", _("Der Start enthält kein Anmeldetoken (id_token)."), platform.id)
    claims = _decode(id_token, platform)
    summary = check_claims(claims, platform, launch.nonce)
    handoff = secrets.token_urlsafe(32)
    launch.claims = summary
    launch.handoff_hash = _hash(handoff)
    launch.handoff_expires_at = utcnow() + HANDOFF_LIFETIME
    db.session.flush()
    return Launch(launch, platform, summary, handoff)


def launch_for_handoff(token: str) -> LtiLaunch | None:
    """The checked launch a hand-over token belongs to, while it is valid and unused."""
    launch = db.session.scalars(select(LtiLaunch).where(LtiLaunch.handoff_hash == _hash(token))).first()
    if launch is None or launch.handoff_used_at is not None or launch.claims is None:
        return None
    if launch.handoff_expires_at is None or launch.handoff_expires_at < utcnow():
        return None
    return launch


def purge_expired(now=None) -> int:
    """Delete launches older than a day (state, nonce and hand-over are long unusable by then)."""
    from sqlalchemy import delete

    cutoff = (now or utcnow()) - timedelta(days=1)
    result = db.session.execute(delete(LtiLaunch).where(LtiLaunch.created_at < cutoff))
    return result.rowcount or 0
