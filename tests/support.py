"""Small helpers several test modules share."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db


def bearer(client, user) -> dict:
    """Headers for the JSON API with a bearer token, as its clients send them."""
    response = client.post("/api/v1/token", json={"email": user.email, "password": user.password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def written(app) -> tuple[int, int, int]:
    """How many attendance rows, assessments and their audit events the database holds."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Attendance)),
            db.session.scalar(select(func.count()).select_from(Assessment)),
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type.in_(("attendance", "assessment")))
            ),
        )


# Sign-in limits small enough to reach in a test: per address, per account and address, per account.
ADDRESS_LIMIT, ACCOUNT_ADDRESS_LIMIT, ACCOUNT_LIMIT = 5, 3, 6


def sign_in_limit_settings() -> dict:
    """The settings of the rate-limit tests: limits on, counted in memory, the small budgets above."""
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN": f"{ADDRESS_LIMIT} per minute",
        "RATELIMIT_LOGIN_PER_ACCOUNT_ADDRESS": f"{ACCOUNT_ADDRESS_LIMIT} per minute",
        "RATELIMIT_LOGIN_PER_ACCOUNT": f"{ACCOUNT_LIMIT} per minute",
    }


def redis_url() -> str:
    """The Redis the tests use (``.ci/run`` sets WIRLEARN_TEST_REDIS_URL; db 15 by default)."""
    return os.environ.get("WIRLEARN_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def redis_job_settings() -> dict:
    """App settings for jobs through RQ on the test Redis, on a queue of this test's own."""
    return {"REDIS_URL": redis_url(), "JOBS_QUEUE": f"wirlearn-test-{uuid.uuid4().hex[:10]}"}


@contextmanager
def redis_job_queue(app) -> Iterator:
    """The app's RQ queue; fails (never skips) when Redis is not there; emptied afterwards."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from wirlearn.jobs.registry import queue

    with app.app_context():
        jobs_queue = queue(app)
    try:
        jobs_queue.connection.ping()
    except RedisConnectionError as error:
        pytest.fail(f"Redis is needed for this test at {redis_url()} (WIRLEARN_TEST_REDIS_URL): {error}")
    try:
        yield jobs_queue
    finally:
        jobs_queue.empty()
        jobs_queue.delete(delete_jobs=True)
