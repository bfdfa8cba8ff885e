import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_list, env_url

BASE_DIR = Path(__file__).resolve().parents[2]


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    """Import hub.settings in a fresh interpreter with the given environment."""
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    full_env.update({"WHARF_DATA_DIR": str(tmp_path / "data"), **env})
    code = "import hub.settings as s; print(s.SECRET_KEY); print(s.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "eighty", "PORT must be a whole number, got 'eighty'"),
        ("PORT", "70000", "PORT must be at most 65535, got 70000"),
        ("DEBUG", "maybe", "DEBUG must be one of 1/0, true/false, yes/no, on/off; got 'maybe'"),
        ("DATABASE_URL", "mongodb://x/y", "DATABASE_URL is not usable"),
        (
            "REDIS_URL",
            "http://localhost",
            "REDIS_URL must start with redis://, rediss:// or unix://",
        ),
        ("WHARF_URL", "localhost:8000", "WHARF_URL must be a URL with scheme http, https"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters long"),
        ("WHARF_BUILD_USER", "-oops", "WHARF_BUILD_USER must be a user name; got '-oops'"),
        ("WHARF_DB_POOL_SIZE", "-1", "WHARF_DB_POOL_SIZE must be at least 0, got -1"),
        ("WHARF_STORAGE_URL", "s3://blobs/wharf", "SECRET_KEY must be set when WHARF_STORAGE_URL"),
    ],
)
def test_bad_setting_stops_startup_naming_the_variable(tmp_path, name, value, message):
    result = load_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path):
    first = load_settings(tmp_path)
    second = load_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "data" / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert first.stdout.splitlines()[0] == key == second.stdout.splitlines()[0]
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_sqlite_in_the_data_dir_is_the_default_database(tmp_path):
    result = load_settings(tmp_path)
    assert result.stdout.splitlines()[1] == "django.db.backends.sqlite3"


@pytest.mark.parametrize(("size", "pool"), [("", {"min_size": 1, "max_size": 20, "timeout": 30}),
                                            ("5", {"min_size": 1, "max_size": 5, "timeout": 30}),
                                            ("0", None)])  # fmt: skip
def test_postgresql_connections_are_pooled_unless_told_not_to(tmp_path, size, pool):
    code = (
        "import json, hub.settings as s; d = s.DATABASES['default'];"
        " print(json.dumps([d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "WHARF_DB_POOL_SIZE"}
    env.update(WHARF_DATA_DIR=str(tmp_path / "data"), DATABASE_URL="postgres://u@db.invalid/w")
    if size:
        env["WHARF_DB_POOL_SIZE"] = size
    done = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Pooled connections are never kept by a thread past its request (CONN_MAX_AGE 0), and
    # each one is checked when handed out.
    assert json.loads(done.stdout) == [pool, 0, pool is not None]


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_EMPTY", "")
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL") is True
    assert env_bool("X_EMPTY", True) is True
    assert env_int("X_INT", 1) == 42
    assert env_int("X_MISSING", 7) == 7
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_list("X_EMPTY", ["d"]) == ["d"]
    with pytest.raises(ImproperlyConfigured, match="X_INT must be at least 100"):
        env_int("X_INT", 1, minimum=100)
    monkeypatch.setenv("X_URL", "https://hub.example/")
    assert env_url("X_URL", "", schemes={"https"}) == "https://hub.example"
