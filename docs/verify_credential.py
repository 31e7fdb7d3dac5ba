#!/usr/bin/env python3
"""Check a wirlearn certificate credential offline, without wirlearn.

    python verify_credential.py zertifikat.jwt jwks.json
    python verify_credential.py zertifikat.jwt https://zertifikate.example.org/.well-known/jwks.json

Needs only PyJWT with its RSA support (``pip install "PyJWT[crypto]"``). The credential is the
file "Digitalen Nachweis herunterladen" gives (an Open Badges 3.0 OpenBadgeCredential as a
compact JWS, RS256); the JWKS is the issuer's public key set. Exit status: 0 signature valid and
not expired, 1 not valid, 2 valid signature but expired. Whether the issuer has revoked the
certificate since cannot be known offline: the script prints the address of the public
verification page for that.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from datetime import UTC, datetime

import jwt

ALGORITHM = "RS256"
HEADER_MEMBERS = {"alg", "kid", "typ"}
REQUIRED_CLAIMS = ["iss", "jti", "nbf", "sub"]


def load_jwks(source: str) -> dict:
    if source.startswith("https://") or source.startswith("http://"):
        with urllib.request.urlopen(source, timeout=15) as response:  # noqa: S310 - the user names the URL
            return json.load(response)
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def check(token: str, jwks: dict) -> tuple[int, str, dict | None]:
    """(exit status, message, claims)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        return 1, "Das ist kein lesbarer Nachweis (kein JWS).", None
    if set(header) - HEADER_MEMBERS:
        return 1, f"Unerwartete Angaben im Kopf: {', '.join(sorted(set(header) - HEADER_MEMBERS))}.", None
    if header.get("alg") != ALGORITHM:
        return 1, f"Unerwartetes Verfahren {header.get('alg')!r} (erwartet RS256).", None
    keys = {key.get("kid"): key for key in jwks.get("keys", [])}
    jwk = keys.get(header.get("kid"))
    if jwk is None:
        return 1, f"Der Schlüssel {header.get('kid')!r} steht nicht im JWKS.", None
    public_key = jwt.PyJWK({"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}, algorithm=ALGORITHM).key
    status, message = 0, "Die Signatur ist gültig."
    try:
        claims = jwt.decode(token, public_key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        claims = jwt.decode(token, public_key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS, "verify_exp": False})
        status, message = 2, "Die Signatur ist gültig, aber die Gültigkeit ist abgelaufen."
    except jwt.InvalidSignatureError:
        return 1, "Die Signatur ist ungültig: Der Nachweis wurde verändert oder stammt nicht von diesem Aussteller.", None
    except jwt.InvalidTokenError as error:
        return 1, f"Der Nachweis ist ungültig ({type(error).__name__}).", None
    # The registered claims must say the same as the credential they stand for (OB 3.0, VC-JWT).
    subject = claims.get("credentialSubject", {})
    issuer = claims.get("issuer", {})
    problems = []
    if "OpenBadgeCredential" not in claims.get("type", []):
        problems.append("kein OpenBadgeCredential")
    if claims["iss"] != (issuer.get("id") if isinstance(issuer, dict) else issuer):
        problems.append("iss ≠ issuer.id")
    if claims["jti"] != claims.get("id"):
        problems.append("jti ≠ id")
    if claims["sub"] != subject.get("id"):
        problems.append("sub ≠ credentialSubject.id")
    if claims.get("validFrom") and int(_parse(claims["validFrom"]).timestamp()) != claims["nbf"]:
        problems.append("nbf ≠ validFrom")
    if problems:
        return 1, "Der Nachweis ist in sich widersprüchlich: " + ", ".join(problems) + ".", claims
    return status, message, claims


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def summary(claims: dict) -> list[str]:
    subject = claims.get("credentialSubject", {})
    names = [item.get("identityHash") for item in subject.get("identifier", []) if item.get("identityType") == "name"]
    achievement = subject.get("achievement", {})
    issuer = claims.get("issuer", {})
    lines = [
        f"Inhaber/in:   {', '.join(names) or '–'}",
        f"Zertifikat:   {achievement.get('name', '–')}",
        f"Aussteller:   {issuer.get('name', '–') if isinstance(issuer, dict) else issuer}",
        f"Gültig ab:    {_parse(claims['validFrom']):%d.%m.%Y}" if claims.get("validFrom") else "Gültig ab:    –",
    ]
    if claims.get("validUntil"):
        lines.append(f"Gültig bis:   {_parse(claims['validUntil']):%d.%m.%Y}")
    lines.append(f"Online prüfen (auch auf Widerruf): {claims.get('id', '–')}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("Aufruf: python verify_credential.py NACHWEIS.jwt JWKS-DATEI-ODER-URL", file=sys.stderr)
        return 64
    with open(argv[1], encoding="utf-8") as handle:
        token = handle.read().strip()
    status, message, claims = check(token, load_jwks(argv[2]))
    print(message)
    if claims is not None and status != 1:
        print("\n".join(summary(claims)))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
