"""Production settings: ``check --deploy`` is clean, and the service refuses to start without a secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what the machine gives (PATH, and DATABASE_URL or REDIS_URL in CI), none of the test defaults.
    test_defaults = {
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in test_defaults}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="sfr.example.org",
    )
    assert result.returncode == 0, result.stderr


def test_check_deploy_warns_when_the_audit_chain_has_no_key_of_its_own() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="sfr.example.org",
    )
    assert result.returncode != 0 and "accounts.W001" in result.stderr


def test_it_refuses_to_start_without_a_secret_key() -> None:
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_seed_demo_refuses_to_run_in_production() -> None:
    result = run_manage("seed_demo", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="x.example")
    assert result.returncode != 0 and "only with DEBUG=true" in result.stderr
