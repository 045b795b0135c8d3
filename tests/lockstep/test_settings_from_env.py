"""Settings come from the environment; each case starts a fresh interpreter so nothing leaks between them."""

from __future__ import annotations

import json

from tests.builders.interpreters import run

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'csrf': settings.CSRF_TRUSTED_ORIGINS, 'engine': db['ENGINE'], 'name': str(db['NAME']), "
    "'host': db.get('HOST'), 'secret': settings.SECRET_KEY, 'tz': settings.TIME_ZONE, 'use_tz': settings.USE_TZ, "
    "'ssl_redirect': settings.SECURE_SSL_REDIRECT}))"
)


def probe(env: dict[str, str]) -> dict:
    result = run(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_sqlite_under_var_and_debug_off(tmp_path):
    found = probe({"LOCKSTEP_VAR_DIR": str(tmp_path)})
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "lockstep.sqlite3")
    assert found["debug"] is False
    assert found["tz"] == "UTC" and found["use_tz"] is True
    assert found["ssl_redirect"] is True


def test_a_secret_key_is_made_once_and_kept_when_none_is_given(tmp_path):
    first = probe({"LOCKSTEP_VAR_DIR": str(tmp_path)})["secret"]
    second = probe({"LOCKSTEP_VAR_DIR": str(tmp_path)})["secret"]
    assert first == second and len(first) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_everything_that_differs_between_machines_comes_from_the_environment(tmp_path):
    found = probe(
        {
            "LOCKSTEP_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://lock:pw@db.internal:5432/lockstep",
            "SECRET_KEY": "s" * 60,
            "DEBUG": "1",
            "ALLOWED_HOSTS": "lockstep.example.com, ops.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://lockstep.example.com",
        }
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["host"] == "db.internal" and found["name"] == "lockstep"
    assert found["secret"] == "s" * 60
    assert found["debug"] is True
    assert found["hosts"] == ["lockstep.example.com", "ops.example.com"]
    assert found["csrf"] == ["https://lockstep.example.com"]


def test_each_process_keeps_its_database_connection_and_checks_it_before_reusing_it(tmp_path):
    kept = (
        "import django; from django.conf import settings; django.setup(); "
        "db = settings.DATABASES['default']; print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])"
    )
    postgres = {
        "LOCKSTEP_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://lock:pw@db.internal:5432/lockstep",
    }
    assert run(postgres, "-c", kept).stdout.split() == ["60", "True"]
    off = run(postgres | {"DB_CONN_MAX_AGE": "0", "DB_CONN_HEALTH_CHECKS": "0"}, "-c", kept)
    assert off.stdout.split() == ["0", "False"]


def test_a_malformed_boolean_is_a_clear_error(tmp_path):
    result = run({"LOCKSTEP_VAR_DIR": str(tmp_path), "DEBUG": "maybe"}, "-c", PROBE)
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_the_deploy_check_reports_nothing_in_production_mode(tmp_path):
    result = run(
        {
            "LOCKSTEP_VAR_DIR": str(tmp_path),
            "DEBUG": "0",
            "SECRET_KEY": "a-real-secret-" + "x7Kq2" * 12,
            "ALLOWED_HOSTS": "lockstep.example.com",
        },
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
