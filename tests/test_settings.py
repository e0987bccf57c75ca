"""Production settings: refuse to start without a secret, and pass Django's deploy checks."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.processes import BASE_DIR, python


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return python("manage.py", *args, env=environment)


# Like the output of get_random_secret_key(): 50 characters, many distinct.
GOOD_SECRET_KEY = "q8#m2v!x7@lz4p0&w9r^k3t*e6y(u1i)o5a-s_d+f=g[h]j;c:b,n.m/Z"

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": "postgres://claims@db.internal:5432/claims",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "claims.example.org",
}


def test_check_deploy_is_clean_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=GOOD_SECRET_KEY,
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_database_url():
    env = {**PRODUCTION, "SECRET_KEY": GOOD_SECRET_KEY, "DATABASE_URL": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DATABASE_URL must be set in production" in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        "abc",
        "k" * 30 + "ey-but-short",  # 42 characters
        "ab" * 40,  # long, but two distinct characters
        "django-insecure-" + GOOD_SECRET_KEY,  # what startproject writes
        "dev-only-insecure-key-do-not-use-in-production",  # the development default
        "test-only-insecure-key",  # the tests' default
    ],
)
def test_production_refuses_a_weak_secret_key(secret_key):
    result = manage("check", **PRODUCTION, SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    # The message says how to make a good one.
    assert "get_random_secret_key" in result.stderr


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi", "config.celery"])
def test_servers_and_workers_default_to_production_settings(module):
    """A web server or a worker started without DJANGO_SETTINGS_MODULE runs production."""
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(PRODUCTION, SECRET_KEY=GOOD_SECRET_KEY)
    del environment["DJANGO_SETTINGS_MODULE"]
    script = (
        f"import importlib; importlib.import_module({module!r}); "
        "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    )
    result = python("-c", script, env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


@pytest.mark.django_db
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert {key: body.pop(key) for key in ("status", "database", "broker")} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
    }
    assert body["search"] == "postgres"  # no index in this test (tests/api/test_claim_search.py)


def test_production_refuses_to_start_without_a_broker():
    """The embedded broker is for development: production names Redis or RabbitMQ."""
    env = {**PRODUCTION, "SECRET_KEY": GOOD_SECRET_KEY, "CELERY_BROKER_URL": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be set in production" in result.stderr


# env("X"), env.bool("X"), os.environ["X"], os.environ.get("X"), os.getenv("X")
READ_ENV = re.compile(
    r"""(?:\benv(?:\.\w+)?|environ(?:\.get)?|getenv)[(\[]\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_env_example_names_every_variable_the_code_reads():
    code = [
        path
        for folder in (
            "config",
            "claims",
            "verification",
            "notifications",
            "api",
            "audit",
            "scripts",
        )
        for path in (BASE_DIR / folder).rglob("*.py")
    ]
    read = {name for path in code for name in READ_ENV.findall(path.read_text())}
    example = (BASE_DIR / ".env.example").read_text()
    named = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= read
    assert read - named == set()


@pytest.mark.parametrize(
    ("env", "threshold"),
    [
        ({"DATABASE_POOL": "true"}, "5"),
        ({"DATABASE_POOL": "false"}, "None"),
        ({"DATABASE_POOL": "true", "DATABASE_PREPARED_STATEMENTS": "false"}, "None"),
        ({"DATABASE_POOL": "false", "DATABASE_PREPARED_STATEMENTS": "true"}, "5"),
    ],
)
def test_connections_prepare_statements_with_the_pool_unless_told_not_to(env, threshold):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
        SECRET_KEY=GOOD_SECRET_KEY,
        **{**PRODUCTION, **env},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [threshold]
