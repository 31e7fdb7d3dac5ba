"""What the independent-verifier tests share: the app served over HTTP on a free port (its
``BASE_URL`` names that port, so the ids inside a credential resolve), and the tampering a
forger would try on a VC-JWT. Import the fixtures into a test module:

    from tests.served_credentials import app_settings, base_url, server  # noqa: F401
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.certificate_support import signing_key_dir  # noqa: F401 - the fixture app_settings needs

# The tampering both verifiers must refuse (each verifier may add its own kinds).
TAMPERING = ("name", "status_index", "signature", "alg_none")


@pytest.fixture
def base_url():
    """A free port for the served app, chosen before the app is made (its BASE_URL names it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def app_settings(signing_key_dir, base_url):  # noqa: F811
    return {"SIGNING_KEY_DIR": str(signing_key_dir), "BASE_URL": base_url}


@pytest.fixture
def server(app, base_url):
    """The app served over HTTP on base_url (threaded, as a verifier on the internet sees it)."""
    httpd = make_server("127.0.0.1", urlsplit(base_url).port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base_url
    httpd.shutdown()
    thread.join(5)


def b64_json(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict, dict, str]:
    """Header, claims and signature of a compact JWS."""
    head, body, signature = token.split(".")
    return json.loads(base64.urlsafe_b64decode(head + "==")), json.loads(base64.urlsafe_b64decode(body + "==")), signature


def tampered(token: str, kind: str) -> str:
    """``token`` changed as a forger would: another holder name, a status entry pointing at
    another (never revoked) bit, a broken signature, or ``alg: none`` without one."""
    head, body, signature = token.split(".")
    _header, claims, _signature = parts(token)
    if kind == "name":
        claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
        body = b64_json(claims)
    elif kind == "status_index":
        claims["credentialStatus"]["statusListIndex"] = str((int(claims["credentialStatus"]["statusListIndex"]) + 1) % 131_072)
        body = b64_json(claims)
    elif kind == "signature":
        signature = signature[:-6] + ("AAAAAA" if not signature.endswith("AAAAAA") else "BBBBBB")
    elif kind == "alg_none":
        head, signature = b64_json({"alg": "none", "typ": "JWT"}), ""
    else:
        raise ValueError(kind)
    return f"{head}.{body}.{signature}"
