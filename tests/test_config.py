"""Start-up settings: a bad one stops s11 with one sentence naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError, Environment, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_s11(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_sentence_naming(result: subprocess.CompletedProcess[str], setting: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert setting in lines[0]


def test_a_malformed_database_url_stops_start_naming_the_setting(tmp_path):
    result = run_s11("migrate", S11_DATABASE_URL="not a url", S11_VAR_DIR=str(tmp_path))
    assert_one_sentence_naming(result, "S11_DATABASE_URL")


def test_an_unsupported_database_stops_start_naming_the_setting(tmp_path):
    result = run_s11("serve", S11_DATABASE_URL="mysql://x@localhost/db", S11_VAR_DIR=str(tmp_path))
    assert_one_sentence_naming(result, "S11_DATABASE_URL")


def test_an_unreachable_database_stops_start_naming_the_setting(tmp_path):
    result = run_s11(
        "serve",
        S11_DATABASE_URL="postgresql+psycopg://s11:secret@127.0.0.1:9/s11",
        S11_VAR_DIR=str(tmp_path),
    )
    assert_one_sentence_naming(result, "S11_DATABASE_URL")
    assert "cannot be reached" in result.stderr
    assert "secret" not in result.stderr  # the password is never printed


def test_an_unwritable_var_directory_stops_start_naming_the_setting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_s11("migrate", S11_VAR_DIR=str(blocker / "var"))
    assert_one_sentence_naming(result, "S11_VAR_DIR")


def test_many_processes_starting_at_once_on_one_var_directory_all_start(tmp_path):
    # Two `s11 send-reminders` from cron at the same moment once stopped one of them: each
    # checked var/ with the same probe file, and one removed it under the other.
    from concurrent.futures import ThreadPoolExecutor

    from app.config import _check_var_dir

    def check_often(_: int) -> None:
        for _ in range(200):
            _check_var_dir(tmp_path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(check_often, range(8)))
    assert list(tmp_path.iterdir()) == []  # and no probe is left behind


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_s11("serve", S11_ENV="production", S11_VAR_DIR=str(tmp_path))
    assert_one_sentence_naming(result, "S11_SECRET_KEY")


def test_an_unknown_environment_name_is_refused_naming_the_setting(tmp_path):
    result = run_s11("migrate", S11_ENV="staging", S11_VAR_DIR=str(tmp_path))
    assert_one_sentence_naming(result, "S11_ENV")


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    first = load_settings(var_dir=tmp_path)
    second = load_settings(var_dir=tmp_path)
    assert len(first.secret) >= 40 and first.secret == second.secret
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_uses_the_secret_it_is_given(tmp_path):
    settings = load_settings(env=Environment.PRODUCTION, var_dir=tmp_path, secret_key="k" * 50)
    assert settings.secret == "k" * 50
    assert not (tmp_path / "secret_key").exists()


def test_database_defaults_to_a_sqlite_file_under_var(tmp_path):
    settings = load_settings(var_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 's11.db'}"
    assert settings.uploads == tmp_path / "uploads"


def test_a_bare_postgresql_url_uses_psycopg_3(tmp_path):
    settings = load_settings(var_dir=tmp_path, database_url="postgresql://u:p@db.example/s11")
    assert settings.database_url == "postgresql+psycopg://u:p@db.example/s11"


def test_a_postgresql_url_naming_another_driver_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="psycopg"):
        load_settings(var_dir=tmp_path, database_url="postgresql+psycopg2://u:p@h/db")
