"""Fixtures: ``app``, ``client``, ``runner``, ``factory``, users per role, a small programme, and
``login``. Each test gets a fresh, migrated database (see tests/databases.py)."""

from __future__ import annotations

import pytest

from tests.databases import PostgresDatabases, SqliteDatabases, is_postgresql, migrate, server_url, truncate_all
from tests.factories import Factory, UserRef
from wirlearn import create_app
from wirlearn.extensions import db as _db

BROWSER_RERUNS = 1


def pytest_collection_modifyitems(config, items):
    """A browser test that fails is run once more (like Playwright's own `retries`): Chromium
    under a loaded CI machine now and then misses a timing no user would notice. The rerun is
    reported ("R" and "1 rerun" in the summary), and a test that fails twice fails the run."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS, reruns_delay=1))


@pytest.fixture(scope="session")
def databases():
    manager = PostgresDatabases(server_url()) if is_postgresql() else SqliteDatabases()
    yield manager
    manager.close()


@pytest.fixture(scope="session")
def migrated_database(databases):
    """One database migrated to head for the whole run (PostgreSQL) or a template file (SQLite)."""
    url = databases.create()
    migrate(url)
    return url


@pytest.fixture
def database_url(databases, migrated_database):
    if isinstance(databases, SqliteDatabases):
        url = databases.copy(migrated_database)
        yield url
        databases.drop(url)
    else:
        yield migrated_database
        truncate_all(migrated_database)


@pytest.fixture
def app_settings() -> dict:
    """Override in a test module to change settings of the ``app`` fixture."""
    return {}


@pytest.fixture(autouse=True)
def _rate_limit_storage_starts_reachable():
    """Flask-Limiter keeps "storage unreachable" on its one module-level instance across apps
    (``init_app`` does not reset it). After the test with an unreachable Redis, the next test's
    app counted its first requests in that test's fallback memory and the rest in its own, so
    a limit could let one request too many through (a CI run failed that way). Every test
    starts with the storage its app configured."""
    from wirlearn.extensions import limiter

    limiter._storage_dead = False  # private: Flask-Limiter offers no public reset
    yield


@pytest.fixture
def app(database_url, app_settings):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, **app_settings)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (no requests inside)."""
    with app.app_context():
        yield app
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


@pytest.fixture
def admin(factory) -> UserRef:
    return factory.user("admin", email="admin@example.org", name="Ada Admin")


@pytest.fixture
def trainer(factory) -> UserRef:
    return factory.user("trainer", email="trainer@example.org", name="Tina Trainer")


@pytest.fixture
def other_trainer(factory) -> UserRef:
    return factory.user("trainer", email="trainer2@example.org", name="Otto Fremdtrainer")


@pytest.fixture
def coordinator(factory) -> UserRef:
    return factory.user("coordinator", email="ayse@example.org", name="Ayşe Yılmaz", region="Darmstadt")


@pytest.fixture
def other_coordinator(factory) -> UserRef:
    return factory.user("coordinator", email="dorde@example.org", name="Đorđe Petrović", region="Kassel")


@pytest.fixture
def programme(factory, trainer, other_trainer, coordinator, other_coordinator):
    """Two series: ``main`` (trainer, coordinator, other_coordinator enrolled) and ``other``
    (other_trainer only), so every access rule has someone on each side."""
    main = factory.series(trainers=(trainer,), coordinators=(coordinator, other_coordinator))
    other = factory.series(trainers=(other_trainer,), coordinators=())
    return {"main": main, "other": other}


def do_login(client, user: UserRef, password: str | None = None, follow: bool = False):
    return client.post("/anmelden", data={"email": user.email, "password": password or user.password}, follow_redirects=follow)


@pytest.fixture
def login():
    """``login(client, user)`` signs ``user`` in on ``client`` and asserts it worked."""

    def _login(client, user: UserRef, password: str | None = None):
        response = do_login(client, user, password)
        assert response.status_code == 302, response.data[:500]
        assert "/anmelden" not in response.headers["Location"]
        return response

    return _login


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port; ``smtp.settings()`` points the app at it."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def poppler():
    """Tests that read PDFs as a person's viewer would need poppler-utils: missing is a failure
    (``.ci/run`` installs it), never a skip."""
    import shutil

    missing = [tool for tool in ("pdftotext", "pdfinfo", "pdffonts", "pdftoppm") if shutil.which(tool) is None]
    assert not missing, f"poppler-utils is needed for {', '.join(missing)} (apt-get install poppler-utils)"
