"""Property-based tests (hypothesis): whatever text arrives in a form or the token endpoint, the
answer is a page or a clear refusal, never a server error, and nothing is half written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from wirlearn.auth.models import User
from wirlearn.extensions import db
from wirlearn.programme.models import Series

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def expected_token_status(raw: str, body) -> int:
    """400 for a NUL anywhere, 401 (wrong e-mail or password: nobody has an account here) for a
    well-formed request, 422 for everything else."""
    if "\\u0000" in raw:
        return 400
    lengths = {"email": (1, 254), "password": (1, 256), "otp": (1, 40)}
    well_formed = (
        isinstance(body, dict)
        and {"email", "password"} <= set(body) <= set(lengths)
        and all(isinstance(value, str) and lengths[key][0] <= len(value) <= lengths[key][1] for key, value in body.items())
    )
    return 401 if well_formed else 422


@SETTINGS
@given(email=TEXT, password=TEXT)
@example(email="niemand@example.org", password="geh\x00eim")
def test_sign_in_never_fails_on_input(client, email, password):
    response = client.post("/anmelden", data={"email": email, "password": password})
    # Nobody has an account here: the sign-in page again, with a message; a NUL character is
    # refused before any form sees it.
    assert response.status_code == (400 if "\x00" in email + password else 200), response.status_code


@SETTINGS
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | TEXT,
        lambda inner: st.lists(inner) | st.dictionaries(TEXT, inner),
        max_leaves=8,
    )
)
@example(body={"email": "niemand@example.org", "password": "geheim"})
@example(body={"email": "niemand@example.org", "password": "geheim", "otp": "123456"})
@example(body={"email": "niemand@example.org", "password": "geh\x00eim"})
@example(body={"email": "x" * 255, "password": "geheim"})
def test_token_endpoint_never_fails_on_json(client, body):
    response = client.post("/api/v1/token", json=body)
    assert response.status_code == expected_token_status(client.application.json.dumps(body), body), response.status_code
    assert response.mimetype == "application/problem+json"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_one_answer(app, response, model, before: int, *, nul: bool) -> None:
    """A NUL character: 400 and nothing written. Otherwise either saved (a redirect, one row
    more) or the form again with an error message (200, nothing written)."""
    after = count(app, model)
    if nul:
        assert (response.status_code, after) == (400, before)
    elif response.status_code == 302:
        assert after == before + 1
    else:
        assert (response.status_code, after) == (200, before)
        assert "kern-alert--danger" in response.get_data(as_text=True)  # the message why


@pytest.fixture
def admin_client(app, login, admin):
    client = app.test_client()
    login(client, admin)
    return client


@SETTINGS
@given(
    email=TEXT,
    name=TEXT,
    roles=st.lists(st.sampled_from(["admin", "trainer", "coordinator", "root", ""]), max_size=3),
    region=TEXT,
)
def test_user_form_never_fails_on_input(app, admin_client, email, name, roles, region):
    before = count(app, User)
    response = admin_client.post(
        "/verwaltung/nutzer/neu", data={"email": email, "display_name": name, "roles": roles, "region_id": region}
    )
    assert_one_answer(app, response, User, before, nul="\x00" in email + name + region)


@SETTINGS
@given(
    title=TEXT,
    provider=TEXT,
    start=TEXT,
    end=TEXT,
    percent=st.one_of(st.integers(-1000, 1000).map(str), TEXT),
)
def test_series_form_never_fails_on_input(app, admin_client, title, provider, start, end, percent):
    before = count(app, Series)
    response = admin_client.post(
        "/verwaltung/reihen/neu",
        data={
            "title": title,
            "provider": provider,
            "certificate_title": title,
            "issuer_name": provider,
            "start_date": start,
            "end_date": end,
            "min_attendance_percent": percent,
        },
    )
    assert_one_answer(app, response, Series, before, nul="\x00" in title + provider + start + end + percent)


@SETTINGS
@given(
    status=TEXT | st.sampled_from(["present", "late", "excused", "absent"]), note=TEXT, version=TEXT | st.integers(-5, 5).map(str)
)
def test_roster_never_fails_on_input(app, login, programme, trainer, coordinator, status, note, version):
    client = app.test_client()
    login(client, trainer)
    session_id = programme["main"].session_ids[0]
    response = client.post(
        f"/termine/{session_id}/anwesenheit",
        data={
            "version": version,
            "submission_key": note[:60],
            "action": "save",
            f"status-{coordinator.id}": status,
            f"note-{coordinator.id}": note,
        },
    )
    assert response.status_code in (200, 302, 400, 409, 422), response.status_code
