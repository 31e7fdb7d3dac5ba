"""Third-party verifiers against a running server: npm ``jose`` verifies a credential through the
key its ``kid`` URL serves and rejects tampered ones; Digital Bazaar's Bitstring Status List
decoder reads the bit at the credential's index as 0, and as 1 right after a revocation through
the API (tests/verifiers, installed by ``make test`` with ``npm ci``)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import services
from wirlearn.extensions import db
from wirlearn.status import bitstring

VERIFIERS = Path(__file__).resolve().parents[1] / "verifiers"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (VERIFIERS / "node_modules" / "jose").is_dir(),
    reason="needs node and `npm ci` in tests/verifiers (make test does both)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = _free_port()
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811
    return {"SIGNING_KEY_DIR": str(signing_key_dir), "BASE_URL": BASE}


@pytest.fixture
def server(app):
    """The app served over HTTP on BASE (threaded, as a verifier on the internet would see it)."""
    httpd = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield BASE
    httpd.shutdown()
    thread.join(5)


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


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_jose_verifies_through_the_kid_url_and_sees_the_revocation(app, server, client, admin, programme, coordinator, tmp_path):
    code, path = issued_credential(app, programme["main"], coordinator, tmp_path)
    status, result = node(str(path))
    assert status == 0, result
    assert result["verified"] is True and result["kid"].startswith(f"{BASE}/ob/keys/")
    assert result["listLength"] >= 131_072 and result["revoked"] is False

    token = client.post("/api/v1/token", json={"email": admin.email, "password": admin.password}).get_json()["access_token"]
    revoked = client.post(
        f"/api/v1/certificates/{code}/revoke", json={"reason": "Prüfung"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 200
    status, result = node(str(path))
    assert status == 0 and result["revoked"] is True, result  # the very next fetch of the list


@pytest.mark.parametrize(
    "tamper",
    ["name", "status_index", "signature", "alg_none", "foreign_kid"],
)
def test_jose_rejects_every_tampered_credential(app, server, programme, coordinator, tmp_path, tamper):
    _code, path = issued_credential(app, programme["main"], coordinator, tmp_path)
    head, body, signature = path.read_text().split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    if tamper == "name":
        claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
        body = _b64(claims)
    elif tamper == "status_index":  # point the entry at another (never revoked) bit
        claims["credentialStatus"]["statusListIndex"] = str((int(claims["credentialStatus"]["statusListIndex"]) + 1) % 131_072)
        body = _b64(claims)
    elif tamper == "signature":
        signature = signature[:-6] + ("AAAAAA" if not signature.endswith("AAAAAA") else "BBBBBB")
    elif tamper == "alg_none":
        head, signature = _b64({"alg": "none", "typ": "JWT"}), ""
    elif tamper == "foreign_kid":  # a key the forger controls, on another host
        head = _b64(header | {"kid": "https://forger.example/ob/keys/x"})
    path.write_text(f"{head}.{body}.{signature}")
    status, result = node(str(path))
    assert status == 1 and result["verified"] is False, result


def test_independent_decoder_reads_our_lists_and_the_spec_example():
    status, result = node("--decode", "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
    assert status == 0 and result == {"length": 131_072, "set": []}
    ours = bitstring.encode(bitstring.bits_with(131_072, [0, 9, 4242, 131_071]))
    status, result = node("--decode", ours)
    assert result == {"length": 131_072, "set": [0, 9, 4242, 131_071]}
