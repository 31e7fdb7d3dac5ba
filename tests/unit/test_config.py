import pytest

from config import ProductionConfig, database_url
from wirlearn import create_app


def test_database_url_pins_psycopg_driver():
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url("") is None


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    app = create_app("development", SQLALCHEMY_DATABASE_URI=None)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/wirlearn.sqlite3")


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setenv("BASE_URL", "https://zertifikate.example")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "WIR-Qualifizierung <noreply@zertifikate.example>")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="dev-only-not-secret", SQLALCHEMY_DATABASE_URI="sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="short", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_refuses_missing_base_url(monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app(ProductionConfig, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")


@pytest.mark.parametrize("base_url", ["http://zertifikate.example", "HTTP://zertifikate.example", "zertifikate.example", " "])
def test_production_refuses_a_base_url_without_https(monkeypatch, base_url):
    monkeypatch.setenv("BASE_URL", base_url)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app(ProductionConfig, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://", BASE_URL=base_url)


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("BASE_URL", "https://zertifikate.example")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "WIR-Qualifizierung <noreply@zertifikate.example>")
    app = create_app(
        ProductionConfig, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://", BASE_URL="https://zertifikate.example"
    )
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-wirlearn"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_every_feature_registers(app):
    blueprints = set(app.blueprints)
    assert {"core", "auth", "users", "programme", "api_token"} <= blueprints
