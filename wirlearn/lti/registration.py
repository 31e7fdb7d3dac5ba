"""LTI Dynamic Registration 1.0: the platform's administrator starts it in the platform; wirlearn
reads the platform's OpenID configuration, registers itself there with the registration token,
and keeps the result as a registration waiting for a wirlearn admin to confirm it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import gettext as _

from wirlearn.core.urls import base_url, public_url_for
from wirlearn.lti import access_tokens, http, platforms
from wirlearn.lti.models import LtiPlatform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class DynamicRegistrationError(ValueError):
    """The registration could not be done; the message says why, in German."""


def tool_configuration() -> dict:
    """What wirlearn tells a platform about itself."""
    launch_url = public_url_for("lti.launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": public_url_for("lti.login"),
        "redirect_uris": [launch_url],
        "client_name": "wirlearn",
        "jwks_uri": public_url_for("lti.jwks"),
        "token_endpoint_auth_method": "private_key_jwt",  # nosec B105 - the name of an auth method, no secret
        "scope": " ".join([access_tokens.NRPS_SCOPE, access_tokens.AGS_LINEITEM_SCOPE, access_tokens.AGS_SCORE_SCOPE]),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base_url()).netloc,
            "target_link_uri": launch_url,
            "description": "Anwesenheit, Bewertungen, Fortschritt und Zertifikate einer Qualifizierungsreihe",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": launch_url, "label": "wirlearn"}],
        },
    }


def _public_host(url: str) -> bool:
    """Whether every address ``url``'s host resolves to is a public one. Anyone can start a
    dynamic registration: in production it must not make wirlearn call into its own network."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


def _check_destination(url: str) -> None:
    if not platforms._allow_http() and not _public_host(url):
        raise DynamicRegistrationError(_("Die Adresse der Lernplattform ist nicht öffentlich erreichbar."))


def register(openid_configuration: str | None, registration_token: str | None) -> LtiPlatform:
    allow_http = platforms._allow_http()
    if not openid_configuration or not platforms.is_web_address(openid_configuration, allow_http=allow_http):
        raise DynamicRegistrationError(_("Die Lernplattform hat keine gültige Adresse ihrer Konfiguration übergeben."))
    _check_destination(openid_configuration)
    try:
        config, _response = http.get_json(openid_configuration)
    except http.PlatformError as error:
        raise DynamicRegistrationError(_("Die Konfiguration der Lernplattform ist nicht abrufbar.")) from error
    if not isinstance(config, dict):
        raise DynamicRegistrationError(_("Die Konfiguration der Lernplattform ist unvollständig."))
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
    if any(not isinstance(config.get(name), str) or not config.get(name) for name in needed):
        raise DynamicRegistrationError(_("Die Konfiguration der Lernplattform ist unvollständig."))
    # The spec: the issuer must be where the configuration was read from.
    if not openid_configuration.startswith(config["issuer"]):
        raise DynamicRegistrationError(_("Aussteller und Adresse der Konfiguration passen nicht zusammen."))
    if not platforms.is_web_address(config["registration_endpoint"], allow_http=allow_http):
        raise DynamicRegistrationError(_("Die Konfiguration der Lernplattform ist unvollständig."))
    _check_destination(config["registration_endpoint"])
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        answer = http.send_json("POST", config["registration_endpoint"], tool_configuration(), headers=headers)
    except http.PlatformError as error:
        raise DynamicRegistrationError(_("Die Lernplattform hat die Registrierung abgelehnt.")) from error
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise DynamicRegistrationError(_("Die Lernplattform hat keine Client-ID zurückgegeben."))
    deployment = (answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id")
    product = (config.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code") or ""
    name = f"{product or _('Lernplattform')} ({urlsplit(config['issuer']).netloc})"
    values = platforms.PlatformValues(
        name=name[:200],
        issuer=config["issuer"],
        client_id=client_id,
        deployment_ids=[str(deployment)] if deployment else [],
        auth_login_url=config["authorization_endpoint"],
        token_url=config["token_endpoint"],
        jwks_url=config["jwks_uri"],
    )
    if not values.deployment_ids:
        raise DynamicRegistrationError(_("Die Lernplattform hat keine Deployment-ID zurückgegeben."))
    try:
        return platforms.create(values, status="pending", source="dynamic")
    except platforms.RegistrationError as error:
        raise DynamicRegistrationError(str(error)) from error
