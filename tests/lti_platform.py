"""A fake LTI 1.3 platform for the tests: its own RSA keys and JWKS, an OIDC authentication
endpoint that answers with a signed ``id_token`` (a form post back to the tool, as Moodle does),
a token endpoint, Names and Roles and Assignment and Grade Services endpoints that record what
the tool sends, and the two endpoints of Dynamic Registration. Served by a small Flask app on a
free loopback port; the tool reaches it over real HTTP.

A test module's fixture runs it with ``yield from serve()``; ``fake_platform.register(app)``
adds it to wirlearn as a registration and ``fake_platform.launch(client, ...)`` runs login
initiation and launch through a test client.
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLIENT_ID = "wirlearn-client"
DEPLOYMENT_ID = "deploy-1"


@cache
def rsa_key(name: str):
    """Test keys, made once per run (2048 bits: fast, and what platforms commonly use)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(name: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key(name).public_key()))
    return jwk | {"kid": name, "alg": "RS256", "use": "sig"}


@dataclass
class FakePlatform:
    base: str = ""
    kid: str = "platform-key-1"
    published: list[str] = field(default_factory=lambda: ["platform-key-1"])
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, body)
    jwks_fetches: int = 0
    members: list[dict] = field(default_factory=list)
    members_page_size: int = 0  # 0: all on one page
    fail_scores: int = 0  # answer this many score posts with HTTP 503
    scores: list[dict] = field(default_factory=list)
    line_items: dict[str, dict] = field(default_factory=dict)
    token_requests: list[dict] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)
    next_claims: dict = field(default_factory=dict)  # merged into the id_token of /auth
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- what the tool needs to know -------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.base

    def urls(self) -> dict:
        return {
            "auth_login_url": self.base + "/auth",
            "token_url": self.base + "/token",
            "jwks_url": self.base + "/jwks",
        }

    def register(self, app, *, deployment_ids=(DEPLOYMENT_ID,), status: str = "active") -> int:
        from wirlearn.extensions import db
        from wirlearn.lti import platforms

        with app.app_context():
            platform = platforms.create(
                platforms.PlatformValues(
                    name="Moodle (Test)",
                    issuer=self.issuer,
                    client_id=CLIENT_ID,
                    deployment_ids=list(deployment_ids),
                    **self.urls(),
                ),
                status=status,
            )
            db.session.commit()
            return platform.id

    # --- tokens ----------------------------------------------------------------------------------

    def claims(self, nonce: str, *, sub: str = "moodle-user-7", role: str = LEARNER, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Ayşe Yılmaz",
            "email": "ayse@example.org",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "target_link_uri": "http://wirlearn.test/lti/launch",
            LTI + "resource_link": {"id": "resource-1", "title": "wirlearn"},
            LTI + "roles": [role],
            LTI + "context": {"id": "course-42", "title": "WIR-Qualifizierung 2026", "label": "WIR26"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.base + "/memberships",
                "service_versions": ["2.0"],
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "lineitems": self.base + "/lineitems",
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                ],
            },
        }
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(self, claims: dict, *, key_name: str | None = None, kid: str | None = None) -> str:
        key_name = key_name or self.kid
        return jwt.encode(claims, rsa_key(key_name), algorithm="RS256", headers={"kid": kid or key_name})

    def deep_linking_claims(self, nonce: str, **overrides) -> dict:
        return self.claims(
            nonce,
            role=INSTRUCTOR,
            **{
                LTI + "message_type": "LtiDeepLinkingRequest",
                LTI + "resource_link": None,
                DL + "deep_linking_settings": {
                    "deep_link_return_url": self.base + "/deep-link-return",
                    "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe", "window"],
                    "data": "opaque-data-123",
                },
            }
            | overrides,
        )

    # --- driving a launch through a Flask test client -------------------------------------------

    def login(self, client, **params):
        query = {
            "iss": self.issuer,
            "login_hint": "hint-7",
            "target_link_uri": "http://wirlearn.test/lti/launch",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
            "lti_message_hint": "message-hint",
        } | params
        return client.get("/lti/login", query_string={k: v for k, v in query.items() if v is not None})

    def auth_params(self, response) -> dict:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        assert location.startswith(self.base + "/auth?")
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    def launch(self, client, *, token: str | None = None, claims: dict | None = None, deep_linking: bool = False, **claim_kwargs):
        """Login initiation and launch; returns (response of the launch, the state used)."""
        params = self.auth_params(self.login(client))
        if token is None:
            if claims is None:
                make = self.deep_linking_claims if deep_linking else self.claims
                claims = make(params["nonce"], **claim_kwargs)
            token = self.sign(claims)
        response = client.post("/lti/launch", data={"id_token": token, "state": params["state"]})
        return response, params["state"], token

    # --- the platform's web app ------------------------------------------------------------------

    def wsgi(self) -> Flask:
        app = Flask("fake_platform")
        fake = self

        @app.before_request
        def remember():
            body = request.get_json(silent=True) if request.is_json or "json" in (request.mimetype or "") else None
            if body is None and request.data:
                try:
                    body = json.loads(request.data)
                except ValueError:
                    body = None
            fields = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
            fake.requests.append((request.method, request.path, body if body is not None else fields))

        @app.get("/jwks")
        def jwks():
            fake.jwks_fetches += 1
            return jsonify({"keys": [public_jwk(name) for name in fake.published]})

        @app.get("/auth")
        def auth():
            args = request.args
            claims = fake.claims(args["nonce"]) | fake.next_claims
            token = fake.sign(claims)
            page = (
                "<!doctype html><html lang='de'><head><title>Moodle</title></head><body>"
                f"<form id='f' method='post' action='{html.escape(args['redirect_uri'])}'>"
                f"<input type='hidden' name='id_token' value='{token}'>"
                f"<input type='hidden' name='state' value='{html.escape(args['state'])}'>"
                "<button type='submit'>Weiter</button></form>"
                "<script>document.getElementById('f').submit()</script></body></html>"
            )
            return Response(page, mimetype="text/html")

        @app.get("/course")
        def course():
            # A course page that shows the tool in a frame, as Moodle's "embedded" launch container.
            page = (
                "<!doctype html><html lang='de'><head><title>Kurs</title></head><body><h1>Kurs</h1>"
                f"<iframe title='wirlearn' src='{html.escape(request.args['tool'])}' width='1000' height='700'></iframe>"
                "</body></html>"
            )
            return Response(page, mimetype="text/html")

        @app.post("/token")
        def token():
            fake.token_requests.append(request.form.to_dict())
            return jsonify({"access_token": "access-" + secrets.token_hex(4), "token_type": "Bearer", "expires_in": 3600})

        def bearer_ok() -> bool:
            return request.headers.get("Authorization", "").startswith("Bearer access-")

        @app.get("/memberships")
        def memberships():
            if not bearer_ok():
                return Response(status=401)
            size = fake.members_page_size or max(len(fake.members), 1)
            page = int(request.args.get("page", "0"))
            chunk = fake.members[page * size : (page + 1) * size]
            response = jsonify({"id": fake.base + "/memberships", "context": {"id": "course-42"}, "members": chunk})
            response.mimetype = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
            if (page + 1) * size < len(fake.members):
                response.headers["Link"] = f'<{fake.base}/memberships?page={page + 1}>; rel="next"'
            return response

        @app.post("/lineitems")
        def create_line_item():
            if not bearer_ok():
                return Response(status=401)
            item = json.loads(request.data) | {"id": f"{fake.base}/lineitems/{next(fake._ids)}"}
            fake.line_items[item["id"]] = item
            return jsonify(item), 201

        @app.put("/lineitems/<int:number>")
        def update_line_item(number: int):
            url = f"{fake.base}/lineitems/{number}"
            fake.line_items[url] = json.loads(request.data) | {"id": url}
            return jsonify(fake.line_items[url])

        @app.post("/lineitems/<int:number>/scores")
        def score(number: int):
            if not bearer_ok() or request.mimetype != "application/vnd.ims.lis.v1.score+json":
                return Response(status=415)
            if fake.fail_scores > 0:
                fake.fail_scores -= 1
                return Response("busy", status=503)
            fake.scores.append(json.loads(request.data) | {"lineitem": f"{fake.base}/lineitems/{number}"})
            return Response(status=204)

        @app.get("/.well-known/openid-configuration")
        def openid_configuration():
            return jsonify(
                {
                    "issuer": fake.base,
                    "authorization_endpoint": fake.base + "/auth",
                    "token_endpoint": fake.base + "/token",
                    "jwks_uri": fake.base + "/jwks",
                    "registration_endpoint": fake.base + "/register",
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "moodle"},
                }
            )

        @app.post("/register")
        def register():
            if request.headers.get("Authorization") != "Bearer reg-token-1":
                return Response(status=401)
            fake.registrations.append(json.loads(request.data))
            return jsonify(
                {
                    "client_id": "dyn-client-1",
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "dyn-deploy-1"},
                }
            )

        @app.post("/deep-link-return")
        def deep_link_return():
            return Response("<!doctype html><title>Moodle</title><h1>Inhalt hinzugefügt</h1>", mimetype="text/html")

        return app

    def received(self, method: str, path: str) -> list[dict]:
        return [body for m, p, body in self.requests if m == method and p == path]


def serve():
    """Run a fake platform for one test (``yield from serve()`` in a fixture)."""
    fake = FakePlatform()
    server = make_server("127.0.0.1", 0, fake.wsgi(), threaded=True)
    fake.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    thread.join(timeout=5)


def sample_values(app, programme) -> dict:
    """LTI objects for the tests that walk every route (access matrix, CSRF, headers): a
    registration, a course linked to the main series, a launch by the series' trainer, a sync
    and a failed score. Service URLs point at a closed local port: nothing leaves the machine."""
    from datetime import timedelta

    from sqlalchemy import select

    from wirlearn.core.timeutil import utcnow
    from wirlearn.extensions import db
    from wirlearn.lti import keys
    from wirlearn.lti.models import LtiContext, LtiLaunch, LtiPlatform, LtiScore, LtiSync
    from wirlearn.programme.models import session_trainers

    closed = "http://127.0.0.1:9"
    main = programme["main"]
    with app.app_context():
        keys.current_key()
        trainer_id = db.session.scalar(
            select(session_trainers.c.user_id).where(session_trainers.c.session_id == main.session_ids[0])
        )
        platform = LtiPlatform(
            name="Moodle (Stichprobe)",
            issuer=closed,
            client_id="sample",
            deployment_ids=["1"],
            auth_login_url=closed + "/auth",
            token_url=closed + "/token",
            jwks_url=closed + "/jwks",
        )
        db.session.add(platform)
        db.session.flush()
        context = LtiContext(platform_id=platform.id, context_id="course-1", title="Kurs", series_id=main.id, ags_scopes=[])
        context.lineitems_url = closed + "/lineitems"
        db.session.add(context)
        now = utcnow()
        launch = LtiLaunch(
            platform_id=platform.id,
            state_hash="0" * 64,
            nonce="sample-nonce",
            created_at=now,
            expires_at=now + timedelta(minutes=10),
            used_at=now,
            claims={
                "message_type": "LtiDeepLinkingRequest",
                "deployment_id": "1",
                "sub": "sample-trainer",
                "role": "instructor",
                "context_id": "course-1",
                "context_title": "Kurs",
                "deep_link_return_url": closed + "/return",
                "user_id": trainer_id,
            },
        )
        db.session.add(launch)
        db.session.flush()
        sync = LtiSync(
            context_id=context.id,
            status="done",
            summary={"enrolled": [], "unchanged": 0, "no_account": [], "needs_link": [], "skipped": [], "left": []},
        )
        score = LtiScore(
            context_id=context.id,
            user_id=trainer_id,
            kind="eligibility",
            score_given=1,
            score_maximum=1,
            status="failed",
            attempts=8,
        )
        db.session.add_all([sync, score])
        db.session.commit()
        return {
            "platform_id": platform.id,
            "context_id": context.id,
            "launch_id": launch.id,
            "sync_id": sync.id,
            "score_id": score.id,
        }
