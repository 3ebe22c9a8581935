"""Start-up: development keys are made and shared; production refuses unsafe settings."""
from __future__ import annotations

from tests.conftest import TEST_REDIS_URL

import pytest
from cryptography.fernet import Fernet

from tests.conftest import TEST_DOCUMENT_KEY

GOOD_SECRET = "k3y-" + "a1b2c3d4" * 6


def _production_env(monkeypatch, tmp_path, **overrides):
    monkeypatch.setenv("ASSIST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ASSIST_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    values = {"SECRET_KEY": GOOD_SECRET, "DOCUMENT_KEY": Fernet.generate_key().decode(),
              "REDIS_URL": TEST_REDIS_URL, "BASE_URL": "https://assist.example.org",
              "ASSIST_PASSWORD_HASHING": None}
    values.update(overrides)
    for key, value in values.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


@pytest.mark.parametrize("overrides, complaint", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "changeme"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short-but-random-9f8e"}, "SECRET_KEY"),
    ({"DOCUMENT_KEY": None}, "DOCUMENT_KEY"),
    ({"DOCUMENT_KEY": "not-a-fernet-key"}, "DOCUMENT_KEY"),
    ({"REDIS_URL": None}, "REDIS_URL"),
    ({"BASE_URL": None}, "BASE_URL"),
    ({"BASE_URL": ""}, "BASE_URL"),
    ({"BASE_URL": "http://assist.example.org"}, "BASE_URL"),
    ({"BASE_URL": "assist.example.org"}, "BASE_URL"),
    ({"BASE_URL": "https://user:pw@assist.example.org"}, "BASE_URL"),
    ({"ASSIST_PASSWORD_HASHING": "cheap"}, "ASSIST_PASSWORD_HASHING"),
])
def test_production_refuses_to_start_without_real_keys(monkeypatch, tmp_path, overrides, complaint):
    from app import create_app
    from core.config import ConfigError

    _production_env(monkeypatch, tmp_path, **overrides)
    with pytest.raises(ConfigError, match=complaint):
        create_app()
    assert not (tmp_path / "secret_key").exists(), "production must not invent a key"


def test_production_starts_with_real_keys(monkeypatch, tmp_path):
    from app import create_app

    _production_env(monkeypatch, tmp_path)
    app = create_app()
    assert app.config["PRODUCTION"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == GOOD_SECRET


def test_development_keys_are_generated_once_and_shared(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("ASSIST_INSTANCE_PATH", str(tmp_path))
    for key in ("SECRET_KEY", "DOCUMENT_KEY", "DATABASE_URL", "ASSIST_ENV", "UPLOAD_DIR"):
        monkeypatch.delenv(key, raising=False)
    first, second = create_app(), create_app()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["DOCUMENT_KEY"] == second.config["DOCUMENT_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'assist.db'}"
    assert first.config["UPLOAD_DIR"] == str(tmp_path / "uploads")
    assert first.config["ASSIST_TIMEZONE"] == "America/Los_Angeles"
    for app in (first, second):
        from core.database import db

        db.engine(app).dispose()


def test_environment_variables_configure_the_service(monkeypatch, tmp_path):
    from core.config import load_config

    env = {"DATABASE_URL": "postgres://u@db/assist", "MAX_UPLOAD_MB": "5", "ASSIST_TIMEZONE": "America/Chicago",
           "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587", "SECRET_KEY": GOOD_SECRET,
           "DOCUMENT_KEY": TEST_DOCUMENT_KEY, "UPLOAD_DIR": "/srv/uploads", "REDIS_URL": "redis://r:6379/0"}
    config = load_config(tmp_path, env)
    assert config["DATABASE_URL"] == "postgresql+psycopg://u@db/assist"
    assert config["MAX_UPLOAD_MB"] == 5  # per file; a request may add room for its form
    assert 5 * 1024 * 1024 < config["MAX_CONTENT_LENGTH"] < 5.05 * 1024 * 1024
    assert config["ASSIST_TIMEZONE"] == "America/Chicago"
    assert config["MAIL_SERVER"] == "smtp.example.org" and config["MAIL_PORT"] == 587
    assert config["RATELIMIT_STORAGE_URI"] == "redis://r:6379/0"
    assert config["UPLOAD_DIR"] == "/srv/uploads"


def test_an_unknown_time_zone_is_refused(tmp_path):
    from core.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_config(tmp_path, {"ASSIST_TIMEZONE": "Mars/Olympus"})


def test_production_names_every_missing_setting_at_once(monkeypatch, tmp_path):
    from app import create_app
    from core.config import ConfigError

    _production_env(monkeypatch, tmp_path, SECRET_KEY=None, DOCUMENT_KEY="nope", REDIS_URL=None, BASE_URL=None)
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    for name in ("SECRET_KEY", "DOCUMENT_KEY", "REDIS_URL", "BASE_URL"):
        assert name in message
    assert [name for name, _ in refused.value.problems] == ["SECRET_KEY", "DOCUMENT_KEY", "REDIS_URL", "BASE_URL"]


def test_a_malformed_base_url_is_refused_in_development_too(monkeypatch, tmp_path):
    from app import create_app
    from core.config import ConfigError

    monkeypatch.setenv("ASSIST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("BASE_URL", "ftp://assist.example.org")
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app()
