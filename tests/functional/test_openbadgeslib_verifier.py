"""A third-party Python verifier against a running server: ``openbadgeslib`` (PyPI, LGPL-3.0,
pinned in requirements-dev.txt, used by the tests only) verifies a credential the holder
downloads, with the public key the credential's ``kid`` URL serves; it rejects tampered and
forged credentials; and its Bitstring Status List check (``OB3Verifier.verify(check_status=True)``,
which also verifies the status list's own VC-JWT signature and binds the list's issuer to the
credential's) passes before and fails right after a revocation through the API.

What openbadgeslib checks here: the RS256 signature with the algorithm pinned to the key type
(``alg: none`` and HMAC downgrades are refused), the OB 3.0 types (``OpenBadgeCredential`` or
``AchievementCredential`` plus ``VerifiableCredential``), the registered claims VC-JWT requires
(``iss`` equal to ``issuer.id``, ``nbf``, ``jti`` equal to the credential ``id``, ``sub`` when the
subject has an ``id``), ``validFrom``/``validUntil`` against the clock, and the status bit.

What it does not check: it never dereferences the ``kid`` itself (a verifier built from a key
ignores the header's ``kid``), so this test fetches the key from that URL as a relying party
would, and refuses a ``kid`` outside the issuer's origin itself; it validates no JSON schema
(it ships none, and neither does any package on PyPI or npm: see README.md); it does not resolve
``issuer.id`` or ``achievement.id`` (test_credential_status.py does). Its downloader refuses
plain HTTP and loopback hosts unless told otherwise, so the test passes ``allow_insecure`` and
``allow_private`` for the local server.
"""

# ruff: noqa: F811 - the served-app fixtures are imported from tests/served_credentials.py
from __future__ import annotations

import functools
import json
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from openbadgeslib import ob3
from openbadgeslib.util import download_file

from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from tests.served_credentials import TAMPERING, app_settings, b64_json, base_url, parts, server, tampered  # noqa: F401
from wirlearn.certificates import services
from wirlearn.extensions import db

# The library's own fetcher, allowed to reach the test server on 127.0.0.1 over plain HTTP.
fetch = functools.partial(download_file, allow_insecure=True, allow_private=True)


def _http(url: str, *, json_body: dict | None = None, headers: dict[str, str] | None = None) -> bytes:
    """GET, or POST ``json_body``, to the test server over plain HTTP, as any API client would."""
    headers = dict(headers or {})
    data = None
    if json_body is not None:
        data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (an http:// URL to our own test server)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read()


def _bearer(base: str, user) -> dict[str, str]:
    answer = json.loads(_http(f"{base}/api/v1/token", json_body={"email": user.email, "password": user.password}))
    return {"Authorization": f"Bearer {answer['access_token']}"}


def downloaded_credential(app, server, series, holder) -> tuple[str, str]:
    """Issue a certificate, then download its credential as the holder does (the API, over HTTP)."""
    make_eligible(app, series, holder)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, holder)).code
        db.session.commit()
    return code, _http(f"{server}/api/v1/certificates/{code}/credential", headers=_bearer(server, holder)).decode()


def verifier_for(token: str, server: str):
    """An openbadgeslib verifier holding the key the token's ``kid`` URL serves. The kid must be
    under the issuer's origin: a relying party never fetches a key from where the token says."""
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid.startswith(f"{server}/ob/keys/"), kid
    jwk = json.loads(fetch(kid))
    assert set(jwk) >= {"kty", "n", "e"} and "d" not in jwk  # one public RSA key, nothing private
    return ob3.OB3Verifier(pubkey_pem=jwt.algorithms.RSAAlgorithm.from_jwk(jwk))


def test_openbadgeslib_verifies_the_downloaded_credential_and_sees_the_revocation(app, server, admin, programme, coordinator):
    code, token = downloaded_credential(app, server, programme["main"], coordinator)
    verifier = verifier_for(token, server)

    credential = verifier.verify(token, check_status=True, download=fetch)  # raises on any failure
    _header, claims, _signature = parts(token)
    assert credential.id == claims["id"] and credential.issuer.id == claims["issuer"]["id"] == claims["iss"]
    assert credential.achievement.name == claims["credentialSubject"]["achievement"]["name"]
    assert [entry["type"] for entry in credential.credential_status] == ["BitstringStatusListEntry"]

    answer = _http(f"{server}/api/v1/certificates/{code}/revoke", json_body={"reason": "Prüfung"}, headers=_bearer(server, admin))
    assert json.loads(answer)["status"] == "revoked"

    # The very next fetch of the list says revoked; the signature alone still verifies.
    index = claims["credentialStatus"]["statusListIndex"]
    with pytest.raises(ob3.OB3VerificationError, match=rf"Credential status 'revocation' is set at index {index}\b"):
        verifier.verify(token, check_status=True, download=fetch)
    assert verifier.verify(token).id == claims["id"]


def test_openbadgeslib_refuses_a_status_list_signed_by_another_key(app, server, programme, coordinator):
    """The list's own proof is checked: the same list verified with a stranger's key fails."""
    _code, token = downloaded_credential(app, server, programme["main"], coordinator)
    credential = verifier_for(token, server).verify(token)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(ob3.OB3VerificationError, match="proof is invalid"):
        ob3.OB3Verifier(pubkey_pem=stranger).check_status(credential, verify_list=True, download=fetch)


@pytest.mark.parametrize("tamper", [*TAMPERING, "valid_until", "forged_with_our_kid"])
def test_openbadgeslib_rejects_every_tampered_credential(app, server, programme, coordinator, tamper):
    _code, token = downloaded_credential(app, server, programme["main"], coordinator)
    verifier = verifier_for(token, server)
    header, claims, _signature = parts(token)
    if tamper == "valid_until":
        claims["validUntil"] = "2099-12-31T23:59:59Z"
        forged = ".".join([token.split(".")[0], b64_json(claims), token.split(".")[2]])
    elif tamper == "forged_with_our_kid":  # the forger signs with their own key and names ours
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": header["kid"]})
    else:
        forged = tampered(token, tamper)
    reason = "Algorithm 'none' in token header is not allowed" if tamper == "alg_none" else "Invalid signature"
    with pytest.raises(ob3.OB3VerificationError, match=reason):
        verifier.verify(forged, check_status=True, download=fetch)
