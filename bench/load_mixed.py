"""A bounded mixed load against production settings: gunicorn (gunicorn.conf.py), PostgreSQL and
Redis (rate limiting on, its counters in Redis), loopback only.

    .venv/bin/python -m bench.load_mixed [--seconds 30] [--clients 8] [--max-requests 20000]

Each client thread repeats a mix until the time or the request budget is used up:
- 60 % verification: ``GET /v/{code}`` and ``GET /api/v1/verify/{code}`` over the issued certificates;
- 20 % dashboards: a coordinator's ``/mein-fortschritt``, a trainer's series overview;
- 20 % roster saves: a trainer loads a session's roster and saves every row with a new status
  (CSRF token, version and one-time key from the page); a conflict (409) reloads; every fifth
  save is sent twice, as a double click would.

Afterwards the database is checked: for every session, its version grew by exactly the number
of accepted saves (no lost and no duplicated write), the stored statuses are those of the last
accepted save, and each accepted save has one audit event per row. The run fails (exit 1) on any
5xx answer or a broken invariant. Prints one Markdown table; numbers go to stderr as they come.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from bench.databases import Databases, migrate
from bench.servers import Server

STATUSES = ("present", "late", "excused", "absent")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the data ---------------------------------------------------------------------------------


@dataclass
class World:
    codes: list[str]
    series_id: int
    trainer: tuple[str, str]
    coordinators: list[tuple[str, str]]
    session_ids: list[int]


def prepare(url: str, password: str) -> World:
    """Migrate, seed the demo, issue every certificate the demo allows."""
    from sqlalchemy import select

    from wirlearn import create_app
    from wirlearn.auth.models import User
    from wirlearn.certificates import services as certificates
    from wirlearn.certificates.models import Certificate
    from wirlearn.demo.seed import seed_demo
    from wirlearn.extensions import db
    from wirlearn.programme.models import Enrollment, Module, Series, Session, session_trainers

    migrate(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SIGNING_KEY_DIR=os.environ["SIGNING_KEY_DIR"])
    with app.app_context():
        seed_demo(password=password)
        db.session.commit()
        series = db.session.scalars(select(Series).order_by(Series.id)).first()
        for enrollment_id in db.session.scalars(select(Enrollment.id).where(Enrollment.series_id == series.id)):
            try:
                certificates.issue_certificate(enrollment_id)
                db.session.commit()
            except certificates.CertificateError:
                db.session.rollback()
        codes = list(db.session.scalars(select(Certificate.code)))
        trainer = db.session.scalar(select(User).where(User.email == "trainer@imap.example"))
        session_ids = list(
            db.session.scalars(
                select(Session.id)
                .join(Module, Module.id == Session.module_id)
                .join(session_trainers, session_trainers.c.session_id == Session.id)
                .where(Module.series_id == series.id, session_trainers.c.user_id == trainer.id)
                .order_by(Session.date, Session.id)
            )
        )[:4]
        coordinators = [
            (email, password)
            for email in db.session.scalars(
                select(User.email).join(Enrollment, Enrollment.user_id == User.id).where(Enrollment.series_id == series.id)
            )
        ][:8]
        world = World(codes, series.id, (trainer.email, password), coordinators, session_ids)
        db.engine.dispose()
    if not world.codes or not world.session_ids:
        raise SystemExit("demo data without certificates or trainer sessions: nothing to load")
    return world


# --- a small HTTP client with cookies (the production cookie is Secure; we are on loopback) ---


class Browser:
    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        body = urlencode(form, doseq=True) if form is not None else None
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace"), dict(response.getheaders())

    def sign_in(self, email: str, password: str) -> None:
        _status, page, _headers = self.request("GET", "/anmelden")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _page, _headers = self.request("POST", "/anmelden", {"email": email, "password": password, "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"sign-in of {email} failed: {status}")


# --- the load -------------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: Counter = field(default_factory=Counter)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    # session id -> list of (new version, statuses by user id) of accepted saves
    saves: dict[int, list[tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(list))
    duplicates_sent: int = 0
    conflicts: int = 0
    requests: int = 0
    started_at: object = None

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.status[(kind, status)] += 1
            self.latency[kind].append(seconds)
            self.requests += 1


ROSTER_RADIO = re.compile(r'name="status-(\d+)" value="(\w+)"( checked)?')


def timed(tally: Tally, kind: str, call):
    start = time.perf_counter()
    status, page, headers = call()
    tally.add(kind, status, time.perf_counter() - start)
    if status >= 500:
        with tally.lock:
            tally.errors.append(f"{kind}: {status}")
    return status, page, headers


def save_roster(browser: Browser, tally: Tally, session_id: int, rng: random.Random) -> None:
    path = f"/termine/{session_id}/anwesenheit"
    status, page, _headers = timed(tally, "roster load", lambda: browser.request("GET", path))
    if status != 200:
        return
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    current: dict[str, str] = {}
    for user_id, value, checked in ROSTER_RADIO.findall(page):
        current.setdefault(user_id, "")
        if checked:
            current[user_id] = value
    # Every row gets a status different from the one shown, so every save changes every row.
    chosen = {user_id: rng.choice([s for s in STATUSES if s != shown]) for user_id, shown in current.items()}
    form = {"csrf_token": token, "version": str(version), "submission_key": key, "action": "save"}
    for user_id, shown in current.items():
        form[f"status-{user_id}"] = chosen[user_id]
        form[f"note-{user_id}"] = ""
        form[f"orig-status-{user_id}"] = shown
        form[f"orig-note-{user_id}"] = ""
    status, _page, _headers = timed(tally, "roster save", lambda: browser.request("POST", path, form))
    if status == 302:
        with tally.lock:
            tally.saves[session_id].append((version + 1, chosen))
        if rng.random() < 0.2:  # the double click: the same form again
            again, _page, _headers = timed(tally, "roster save (again)", lambda: browser.request("POST", path, form))
            with tally.lock:
                tally.duplicates_sent += 1
                if again != 302:
                    tally.errors.append(f"double submit answered {again}")
    elif status == 409:
        with tally.lock:
            tally.conflicts += 1
    else:
        with tally.lock:
            tally.errors.append(f"roster save answered {status}")


def client_loop(port: int, world: World, tally: Tally, seconds: float, budget: int, seed: int) -> None:
    try:
        _client_loop(port, world, tally, seconds, budget, seed)
    except Exception as error:  # noqa: BLE001 - a dead client thread must show up as a problem
        with tally.lock:
            tally.errors.append(f"client {seed} stopped: {error!r}")


def _client_loop(port: int, world: World, tally: Tally, seconds: float, budget: int, seed: int) -> None:
    rng = random.Random(seed)
    visitor = Browser(port)
    participant = Browser(port)
    participant.sign_in(*world.coordinators[seed % len(world.coordinators)])
    trainer = Browser(port)
    trainer.sign_in(*world.trainer)
    deadline = time.monotonic() + seconds  # the clock starts once this client is signed in
    while time.monotonic() < deadline and tally.requests < budget:
        roll = rng.random()
        try:
            if roll < 0.30:
                code = rng.choice(world.codes)
                timed(tally, "verify page", lambda code=code: visitor.request("GET", f"/v/{code}"))
            elif roll < 0.60:
                code = rng.choice(world.codes)
                timed(tally, "verify JSON", lambda code=code: visitor.request("GET", f"/api/v1/verify/{code}"))
            elif roll < 0.70:
                timed(tally, "coordinator dashboard", lambda: participant.request("GET", "/mein-fortschritt"))
            elif roll < 0.80:
                timed(tally, "trainer overview", lambda: trainer.request("GET", f"/programm/reihen/{world.series_id}"))
            else:
                save_roster(trainer, tally, rng.choice(world.session_ids), rng)
        except (http.client.HTTPException, OSError) as error:
            with tally.lock:
                tally.errors.append(f"connection: {error!r}")


# --- checks ---------------------------------------------------------------------------------


def check_writes(url: str, world: World, tally: Tally, initial: dict[int, int]) -> list[str]:
    problems = []
    engine = create_engine(url)
    with engine.connect() as connection:
        for session_id in world.session_ids:
            accepted = sorted(tally.saves.get(session_id, []))
            version = connection.execute(
                text("SELECT attendance_version FROM sessions WHERE id = :id"), {"id": session_id}
            ).scalar()
            if version - initial[session_id] != len(accepted):
                problems.append(
                    f"session {session_id}: version grew by {version - initial[session_id]}, {len(accepted)} saves accepted"
                )
            if accepted:
                last_version, statuses = accepted[-1]
                if last_version != version:
                    problems.append(
                        f"session {session_id}: last accepted save was version {last_version}, database has {version}"
                    )
                stored = dict(
                    connection.execute(
                        text(
                            "SELECT e.user_id, a.status FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id"
                            " WHERE a.session_id = :id"
                        ),
                        {"id": session_id},
                    ).all()
                )
                wrong = {uid for uid, status in statuses.items() if stored.get(int(uid)) != status}
                if wrong:
                    problems.append(f"session {session_id}: {len(wrong)} rows differ from the last accepted save")
            expected_events = sum(len(statuses) for _version, statuses in accepted)
            events = connection.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE action IN ('attendance.recorded', 'attendance.changed')"
                    " AND session_id = :id AND occurred_at >= :since"
                ),
                {"id": session_id, "since": tally.started_at},
            ).scalar()
            if events != expected_events:
                problems.append(f"session {session_id}: {events} audit events for {expected_events} changed rows")
    engine.dispose()
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=20000)
    args = parser.parse_args(argv)

    databases = Databases()
    if not databases.postgres_available():
        raise SystemExit("PostgreSQL is needed (BENCH_POSTGRES_URL)")
    url = databases.new("postgresql", "mixed")
    work = Path(tempfile.mkdtemp(prefix="wirlearn-load-"))
    key_dir = work / "keys"
    os.environ["SIGNING_KEY_DIR"] = str(key_dir)
    password = "load-" + secrets.token_urlsafe(12)
    server = None
    try:
        log("preparing data …")
        world = prepare(url, password)
        log(f"{len(world.codes)} certificates, {len(world.session_ids)} roster sessions, {len(world.coordinators)} coordinators")
        prefix = f"wirlearn-load-{uuid.uuid4().hex[:8]}"
        env = {
            "WIRLEARN_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "BASE_URL": "https://zertifikate.example",
            "MAIL_DEFAULT_SENDER": "WIR-Qualifizierung <noreply@zertifikate.example>",
            "DATABASE_URL": url,
            "SIGNING_KEY_DIR": str(key_dir),
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": prefix,
            # Every client is 127.0.0.1: the per-address limits must not be what we measure.
            "RATELIMIT_VERIFY": "1000000 per minute",
            "RATELIMIT_LOGIN": "1000 per minute",
            "REQUIRE_2FA_FOR_ADMINS": "false",
            "REQUIRE_2FA_FOR_TRAINERS": "false",
        }
        server = Server("wirlearn", "wirlearn:create_app()", env, work / "gunicorn.log").start("/healthz")
        engine = create_engine(url)
        with engine.connect() as connection:
            initial = {
                session_id: connection.execute(
                    text("SELECT attendance_version FROM sessions WHERE id = :id"), {"id": session_id}
                ).scalar()
                for session_id in world.session_ids
            }
            tally = Tally()
            tally.started_at = connection.execute(text("SELECT now() AT TIME ZONE 'UTC'")).scalar()
        engine.dispose()
        log(f"load: {args.clients} clients, {args.seconds:.0f} s, at most {args.max_requests} requests …")
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop, args=(server.port, world, tally, args.seconds, args.max_requests, seed), daemon=True
            )
            for seed in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
        problems = list(tally.errors) + check_writes(url, world, tally, initial)
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        redis_keys = sum(1 for _ in connection.scan_iter(match=f"*{prefix}*"))
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()
    finally:
        if server is not None:
            server.stop()
        databases.close()

    server_errors = sum(count for (kind, status), count in tally.status.items() if status >= 500)
    accepted = sum(len(saves) for saves in tally.saves.values())
    print(f"# Mixed load: gunicorn + PostgreSQL + Redis, {args.clients} clients, {elapsed:.1f} s\n")
    print("| request | count | statuses | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---|---:|---:|---:|")
    for kind in sorted(tally.latency):
        statuses = ", ".join(f"{status}: {count}" for (k, status), count in sorted(tally.status.items()) if k == kind)
        values = tally.latency[kind]
        print(
            f"| {kind} | {len(values)} | {statuses} | {statistics.median(values) * 1000:.1f} | "
            f"{percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} |"
        )
    print(
        f"\n{tally.requests} requests, {tally.requests / elapsed:.0f} per second; 5xx: {server_errors}; "
        f"roster saves accepted: {accepted}, conflicts (409): {tally.conflicts}, double submits: {tally.duplicates_sent}; "
        f"rate-limit keys in Redis: {redis_keys}"
    )
    result = {
        "requests": tally.requests,
        "seconds": elapsed,
        "server_errors": server_errors,
        "accepted_saves": accepted,
        "conflicts": tally.conflicts,
        "double_submits": tally.duplicates_sent,
        "redis_keys": redis_keys,
        "problems": problems,
    }
    print("\n" + json.dumps(result), file=sys.stderr)
    if not tally.requests:
        problems.append("no request was answered")
    if problems or server_errors:
        print("\nProblems:\n" + "\n".join(f"- {problem}" for problem in problems[:50]))
        return 1
    print("\nNo server errors; no lost or duplicated writes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
