"""The deployment files: the compose stack, the image and the CI script hang together."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


def _compose() -> dict[str, Any]:
    with (ROOT / "docker-compose.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _command(name: str) -> str:
    command = _service(name).get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _depends_on(name: str) -> set[str]:
    depends_on = _service(name).get("depends_on") or {}
    return set(depends_on)


def _dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    commands = re.findall(r"^CMD\s+(.+)$", text, flags=re.MULTILINE)
    assert commands, "the Dockerfile has no CMD"
    command = commands[-1].strip()
    return json.loads(command) if command.startswith("[") else command.split()


@pytest.mark.parametrize("name", ["web", "worker", "beat", "postgres", "redis"])
def test_it_defines_each_service(name: str) -> None:
    assert name in _compose()["services"]


def test_it_serves_the_web_with_gunicorn() -> None:
    assert re.search(r"\bgunicorn\b.*\bfailure_regime\.wsgi", _command("web"))


def test_it_runs_a_celery_worker() -> None:
    assert re.search(r"\bcelery\b.*-A failure_regime\b.*\bworker\b", _command("worker"))


def test_it_runs_celery_beat() -> None:
    assert re.search(r"\bcelery\b.*-A failure_regime\b.*\bbeat\b", _command("beat"))


@pytest.mark.parametrize("name", ["web", "postgres", "redis"])
def test_it_checks_the_health_of_the_long_running_services(name: str) -> None:
    assert _service(name).get("healthcheck", {}).get("test")


def test_it_checks_the_web_health_on_healthz() -> None:
    assert "/healthz" in " ".join(_service("web")["healthcheck"]["test"])


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_it_keeps_the_data_stores_on_volumes(name: str) -> None:
    named_volumes = set(_compose().get("volumes") or {})
    mounted = {str(volume).split(":", 1)[0] for volume in _service(name).get("volumes", [])}
    assert mounted & named_volumes


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_starts_the_app_after_the_data_stores(name: str) -> None:
    assert {"postgres", "redis"} <= _depends_on(name)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_runs_the_app_with_debug_off(name: str) -> None:
    assert str(_service(name)["environment"]["DEBUG"]).lower() == "false"


@pytest.mark.parametrize("name", ["web", "worker"])
def test_it_shares_uploaded_files_between_web_and_worker(name: str) -> None:
    service = _service(name)
    media_root = service["environment"]["MEDIA_ROOT"]
    assert any(str(volume).endswith(f":{media_root}") for volume in service.get("volumes", []))


def test_it_migrates_before_the_web_starts() -> None:
    assert _service("web")["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_it_requires_a_secret_key_for_the_stack() -> None:
    assert ":?" in str(_service("web")["environment"]["SECRET_KEY"])


def test_it_has_a_dockerfile_whose_default_command_runs_gunicorn() -> None:
    assert _dockerfile_cmd()[0] == "gunicorn"


def test_it_runs_the_image_as_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_it_runs_the_test_suite_in_ci() -> None:
    script = ROOT / ".ci" / "run"
    assert script.is_file()
    assert re.search(r"^[^#\n]*\bmake test\b", script.read_text(encoding="utf-8"), flags=re.MULTILINE)
