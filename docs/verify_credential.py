#!/usr/bin/env python3
"""Check a wirlearn certificate credential offline, without wirlearn.

    python verify_credential.py zertifikat.jwt jwks.json
    python verify_credential.py zertifikat.jwt https://zertifikate.example.org/.well-known/jwks.json
    python verify_credential.py zertifikat.jwt jwks.json --status statusliste.jwt
    python verify_credential.py zertifikat.jwt jwks.json --no-status

Needs only PyJWT with its RSA support (``pip install "PyJWT[crypto]"``). The credential is the
file "Digitalen Nachweis herunterladen" gives (an Open Badges 3.0 OpenBadgeCredential as a
compact JWS, RS256); the JWKS is the issuer's public key set. The header's ``kid`` is the URL of
the key (its last segment the RFC 7638 thumbprint, which the script recomputes).

Revocation: the credential names its entry on a W3C Bitstring Status List
(``credentialStatus``). The script fetches that list from its URL, or reads a saved copy
(``--status FILE``, for offline use), checks the list's own signature against the same JWKS and
its issuer, and reads the bit. ``--no-status`` skips this (then revocation is unknown).

Exit status: 0 valid, 1 not valid (signature, content, or the status list unusable), 2 valid
signature but expired, 3 revoked (or superseded by a newer certificate), 64 wrong call.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import sys
import urllib.request
from datetime import UTC, datetime

import jwt

ALGORITHM = "RS256"
HEADER_MEMBERS = {"alg", "kid", "typ"}
REQUIRED_CLAIMS = ["iss", "jti", "nbf", "sub"]


EXIT_VALID, EXIT_INVALID, EXIT_EXPIRED, EXIT_REVOKED, EXIT_USAGE = 0, 1, 2, 3, 64
KEY_PATH = "/ob/keys/"


def _read(source: str) -> bytes:
    if source.startswith("https://") or source.startswith("http://"):
        with urllib.request.urlopen(source, timeout=15) as response:  # noqa: S310 - the user or the credential names the URL
            return response.read()
    with open(source, "rb") as handle:
        return handle.read()


def load_jwks(source: str) -> dict:
    return json.loads(_read(source))


def thumbprint(jwk: dict) -> str:
    canonical = json.dumps({"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def find_key(kid, jwks: dict):
    """The public key a header kid names: a JWKS entry with that kid, or (kid as URL) the entry
    whose thumbprint is the URL's last segment. The thumbprint is recomputed from n and e."""
    if not isinstance(kid, str):
        return None
    wanted = kid.rsplit(KEY_PATH, 1)[-1] if KEY_PATH in kid else kid
    for jwk in jwks.get("keys", []):
        if jwk.get("kid") in (kid, wanted) and jwk.get("kty") == "RSA" and thumbprint(jwk) == wanted:
            return jwt.PyJWK({"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"]}, algorithm=ALGORITHM).key
    return None


def bit_at(encoded_list: str, index: int) -> int:
    """Bit ``index`` of a Bitstring Status List's encodedList ("u" + base64url(GZIP(bits)));
    index 0 is the leftmost bit of the first byte."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList ohne Multibase-Präfix u")
    body = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if not 0 <= index < len(bits) * 8:
        raise ValueError("Index außerhalb der Liste")
    return (bits[index // 8] >> (7 - index % 8)) & 1


def check_status(claims: dict, jwks: dict, source: str | None) -> tuple[int, str]:
    """(exit status, message) from the credential's status list entry."""
    entry = claims.get("credentialStatus")
    if not isinstance(entry, dict):
        return (
            EXIT_VALID,
            "Der Nachweis enthält keinen Statuseintrag: ein Widerruf lässt sich nur online auf der Prüfseite sehen.",
        )
    if entry.get("type") != "BitstringStatusListEntry" or entry.get("statusPurpose") != "revocation":
        return EXIT_INVALID, "Unbekannter Statuseintrag im Nachweis."
    url = entry.get("statusListCredential")
    try:
        index = int(entry.get("statusListIndex"))
        token = _read(source or url).decode("ascii").strip()
    except (TypeError, ValueError, OSError) as error:
        return EXIT_INVALID, f"Die Statusliste ist nicht lesbar ({error})."
    try:
        header = jwt.get_unverified_header(token)
        key = find_key(header.get("kid"), jwks)
        if header.get("alg") != ALGORITHM or key is None:
            return EXIT_INVALID, "Die Statusliste ist nicht mit einem Schlüssel aus dem JWKS signiert."
        status_list = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["iss", "nbf"]})
    except jwt.InvalidTokenError as error:
        return EXIT_INVALID, f"Die Signatur der Statusliste ist ungültig ({type(error).__name__})."
    issuer = claims.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = status_list.get("credentialSubject", {})
    if status_list.get("id") != url or status_list.get("issuer") != issuer_id:
        return EXIT_INVALID, "Die Statusliste gehört nicht zu diesem Nachweis (andere Adresse oder anderer Aussteller)."
    if "BitstringStatusListCredential" not in status_list.get("type", []) or subject.get("statusPurpose") != "revocation":
        return EXIT_INVALID, "Das ist keine Widerrufsliste (BitstringStatusListCredential)."
    try:
        revoked = bit_at(subject.get("encodedList", ""), index)
    except (ValueError, OSError, EOFError) as error:
        return EXIT_INVALID, f"Die Statusliste ist beschädigt ({error})."
    if revoked:
        return EXIT_REVOKED, "WIDERRUFEN: Laut Statusliste des Ausstellers gilt dieses Zertifikat nicht mehr."
    return EXIT_VALID, f"Nicht widerrufen (Statusliste vom {_parse(status_list['validFrom']):%d.%m.%Y %H:%M} UTC)."


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
    public_key = find_key(header.get("kid"), jwks)
    if public_key is None:
        return 1, f"Der Schlüssel {header.get('kid')!r} steht nicht im JWKS.", None
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
    if claims.get("awardedDate"):
        lines.append(f"Verliehen am: {_parse(claims['awardedDate']):%d.%m.%Y}")
    if claims.get("validUntil"):
        lines.append(f"Gültig bis:   {_parse(claims['validUntil']):%d.%m.%Y}")
    lines.append(f"Prüfseite:    {claims.get('id', '–')}")
    return lines


def main(argv: list[str]) -> int:
    args = argv[1:]
    skip_status = "--no-status" in args
    args = [arg for arg in args if arg != "--no-status"]
    status_source = None
    if "--status" in args:
        position = args.index("--status")
        if position + 1 >= len(args):
            args = []
        else:
            status_source = args[position + 1]
            del args[position : position + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(
            "Aufruf: python verify_credential.py NACHWEIS.jwt JWKS-DATEI-ODER-URL [--status DATEI-ODER-URL | --no-status]",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with open(args[0], encoding="utf-8") as handle:
        token = handle.read().strip()
    jwks = load_jwks(args[1])
    status, message, claims = check(token, jwks)
    print(message)
    if claims is None or status == EXIT_INVALID:
        return status
    if not skip_status:
        revocation, revocation_message = check_status(claims, jwks, status_source)
        print(revocation_message)
        if revocation != EXIT_VALID:
            status = revocation
    print("\n".join(summary(claims)))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
