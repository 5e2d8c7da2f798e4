"""docker-compose.yml is well formed for production: the services the README names, healthchecks,
no secret with a default, pinned images, the shared data volume (issue 6)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRET = re.compile(r"PASSWORD|SECRET|AUTH|TOKEN|KEY", re.IGNORECASE)
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def readme_services() -> list[str]:
    """The services listed (`- \\`name\\` — …`) in the README's production section."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Production (docker-compose)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `([a-z0-9-]+)` — ", section, flags=re.MULTILINE)


def data_volume(service: dict[str, Any]) -> str | None:
    for mount in service.get("volumes", []):
        source, _, target = str(mount).partition(":")
        if target.split(":")[0] == "/data":
            return source
    return None


def test_every_service_the_readme_names_exists_and_nothing_else_runs(
    services: dict[str, dict[str, Any]],
) -> None:
    named = readme_services()
    assert set(named) == {"postgres", "prefect-server", "worker", "api"}
    assert set(named) == set(services)


def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"


def test_no_secret_has_a_default_or_a_literal_value(services: dict[str, dict[str, Any]]) -> None:
    text = (ROOT / "docker-compose.yml").read_text("utf-8")
    for match in VARIABLE.finditer(text):
        if SECRET.search(match["name"]):
            assert match["rest"].startswith(":?"), f"${{{match['name']}}} must be required (:?)"
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET.search(key):
                assert "${" in str(value), f"{name}: {key} is a literal secret"
                assert ":-" not in str(value), f"{name}: {key} has a default"


def test_images_are_pinned_and_match_the_lock(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        tag = image.rpartition(":")[2] if ":" in image else ""
        pinned = bool(tag) and tag != "latest" and "$" not in tag
        assert pinned, f"{name}: image {image!r} is not pinned"
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert bases, "Dockerfile has no FROM"
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base
    lock = (ROOT / "requirements.lock").read_text("utf-8").splitlines()
    assert "prefect==3.9.1" in lock
    assert "requirements.lock" in dockerfile


def test_the_prefect_server_runs_on_postgres_with_auth_and_a_slow_expiry_loop(
    services: dict[str, dict[str, Any]],
) -> None:
    server = services["prefect-server"]
    environment = server["environment"]
    assert " ".join(server["command"]).startswith("prefect server start --host 0.0.0.0")
    assert environment["PREFECT_SERVER_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert environment["PREFECT_SERVER_API_AUTH_STRING"].startswith("${PREFECT_AUTH_STRING:?")
    assert environment["PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS"] == "120"
    assert "*" not in environment["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"]  # issue 21
    assert "/api/health" in " ".join(server["healthcheck"]["test"])
    for client in ("api", "worker"):
        assert services[client]["environment"]["PREFECT_API_AUTH_STRING"].startswith("${")


def test_worker_and_api_share_the_data_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    worker, api = data_volume(services["worker"]), data_volume(services["api"])
    assert worker is not None
    assert worker == api
    assert worker in compose["volumes"], "the data volume must be a named volume"
    assert services["worker"]["environment"]["PREFECT_LOCAL_STORAGE_PATH"].startswith("/data/")
    assert "workflows.serve" in " ".join(services["worker"]["command"])
    assert "--factory api.app:create_app" in " ".join(services["api"]["command"])
