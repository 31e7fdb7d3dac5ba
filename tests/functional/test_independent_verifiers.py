"""Third-party verifiers against a running server: npm ``jose`` verifies a credential through the
key its ``kid`` URL serves and rejects tampered ones; Digital Bazaar's Bitstring Status List
decoder reads the bit at the credential's index as 0, and as 1 right after a revocation through
the API (tests/verifiers, installed by ``make test`` with ``npm ci``)."""

# ruff: noqa: F811 - the served-app fixtures are imported from tests/served_credentials.py
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from tests.served_credentials import TAMPERING, app_settings, b64_json, base_url, parts, server, tampered  # noqa: F401
from wirlearn.certificates import services
from wirlearn.extensions import db
from wirlearn.status import bitstring

VERIFIERS = Path(__file__).resolve().parents[1] / "verifiers"
NODE = shutil.which("node")


@pytest.fixture(autouse=True)
def _verifiers_installed():
    """Missing verifiers are a failure, never a skip: ``make test`` runs ``npm ci`` for them."""
    assert NODE is not None, "node is needed for the independent verifiers"
    assert (VERIFIERS / "node_modules" / "jose").is_dir(), "run `make verifiers` (npm ci in tests/verifiers)"


def node(*args: str) -> tuple[int, dict]:
    result = subprocess.run([NODE, str(VERIFIERS / "verify.mjs"), *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1])


def issued_credential(app, series, user, tmp_path) -> tuple[str, Path]:
    make_eligible(app, series, user)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, series, user)).code
        db.session.commit()
        token = services.certificate_by_code(code).credential
    path = tmp_path / f"{code}.jwt"
    path.write_text(token)
    return code, path


def test_jose_verifies_through_the_kid_url_and_sees_the_revocation(app, server, client, admin, programme, coordinator, tmp_path):
    code, path = issued_credential(app, programme["main"], coordinator, tmp_path)
    status, result = node(str(path))
    assert status == 0, result
    assert result["verified"] is True and result["kid"].startswith(f"{server}/ob/keys/")
    assert result["listLength"] >= 131_072 and result["revoked"] is False

    token = client.post("/api/v1/token", json={"email": admin.email, "password": admin.password}).get_json()["access_token"]
    revoked = client.post(
        f"/api/v1/certificates/{code}/revoke", json={"reason": "Prüfung"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 200
    status, result = node(str(path))
    assert status == 0 and result["revoked"] is True, result  # the very next fetch of the list


@pytest.mark.parametrize("tamper", [*TAMPERING, "foreign_kid"])
def test_jose_rejects_every_tampered_credential(app, server, programme, coordinator, tmp_path, tamper):
    _code, path = issued_credential(app, programme["main"], coordinator, tmp_path)
    token = path.read_text()
    if tamper == "foreign_kid":  # a key the forger controls, on another host
        header, _claims, _signature = parts(token)
        token = ".".join([b64_json(header | {"kid": "https://forger.example/ob/keys/x"}), *token.split(".")[1:]])
    else:
        token = tampered(token, tamper)
    path.write_text(token)
    status, result = node(str(path))
    assert status == 1 and result["verified"] is False, result


def test_independent_decoder_reads_our_lists_and_the_spec_example():
    status, result = node("--decode", "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
    assert status == 0 and result == {"length": 131_072, "set": []}
    ours = bitstring.encode(bitstring.bits_with(131_072, [0, 9, 4242, 131_071]))
    status, result = node("--decode", ours)
    assert result == {"length": 131_072, "set": [0, 9, 4242, 131_071]}
