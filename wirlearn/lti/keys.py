"""The tool's own RSA key pair (not the certificate signing keys) and its public JWKS."""

from __future__ import annotations

import json
import secrets

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from sqlalchemy import select

from wirlearn.extensions import db
from wirlearn.lti.models import LtiToolKey

ALGORITHM = "RS256"  # the one algorithm LTI 1.3 (1EdTech Security Framework) requires
DEFAULT_KEY_BITS = 3072  # BSI TR-02102 asks for at least 3000 bits


def _new_key() -> LtiToolKey:
    bits = int(current_app.config.get("LTI_KEY_BITS") or DEFAULT_KEY_BITS)
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    kid = "lti-" + secrets.token_hex(8)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key = LtiToolKey(kid=kid, private_pem=pem.decode("ascii"), public_jwk=jwk)
    db.session.add(key)
    db.session.flush()
    return key


def current_key() -> LtiToolKey:
    """The key that signs now; made on first use."""
    key = db.session.scalars(select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.id.desc())).first()
    return key or _new_key()


def rotate() -> LtiToolKey:
    """A new signing key; the old one stays in the JWKS so tokens signed with it still verify."""
    from wirlearn.core.timeutil import utcnow

    for key in db.session.scalars(select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))):
        key.retired_at = utcnow()
    return _new_key()


def jwks() -> dict:
    keys = db.session.scalars(select(LtiToolKey).order_by(LtiToolKey.id)).all()
    if not keys:
        keys = [current_key()]
    return {"keys": [key.public_jwk for key in keys]}


def sign(claims: dict) -> str:
    key = current_key()
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})
