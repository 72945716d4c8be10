"""docker-compose.yml and the Dockerfile, read as text (no Docker engine here): services,
health check, volumes, environment wiring, and an image that runs as a non-root user."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from scheduler.settings import Settings
from tests.crawl_helpers import REPO

_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, kind, arg = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise LookupError(f"{name}: {arg}")
        return arg if kind == "-" else ""

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    return interpolate(raw, {"BRIEFING_API_TOKEN": "compose-secret-0123456789", "POSTGRES_PASSWORD": "pw"})


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def stages(dockerfile: str) -> list[list[str]]:
    """Instructions per build stage (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", dockerfile)
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result


def test_two_services_a_database_and_the_app(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "app"}
    assert compose["services"]["db"]["image"] == "postgres:16"
    assert compose["services"]["app"]["build"] == "."


def test_the_database_has_a_health_check_and_a_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    check = db["healthcheck"]
    assert "pg_isready" in " ".join(check["test"])
    assert {"interval", "timeout", "retries"} <= set(check)
    volume, target = db["volumes"][0].split(":")[:2]
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"]  # named, so data outlives the container


def test_the_database_is_created_with_a_utf8_ctype_for_the_2_gram_index(compose: dict[str, Any]) -> None:
    env = compose["services"]["db"]["environment"]
    assert "--locale=C.UTF-8" in env["POSTGRES_INITDB_ARGS"]
    assert env["LANG"] == env["LC_ALL"] == "C.UTF-8"


def test_the_app_waits_for_a_healthy_database(compose: dict[str, Any]) -> None:
    assert compose["services"]["app"]["depends_on"] == {"db": {"condition": "service_healthy"}}


def test_the_app_reaches_the_database_it_waits_for(compose: dict[str, Any]) -> None:
    db_env = compose["services"]["db"]["environment"]
    url = make_url(compose["services"]["app"]["environment"]["BRIEFING_DATABASE_URL"])
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port) == ("db", 5432)
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"] == "pw"  # one variable feeds both
    assert url.database == db_env["POSTGRES_DB"]


def test_the_app_environment_is_a_valid_configuration(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = compose["services"]["app"]["environment"]
    assert all(key.startswith("BRIEFING_") for key in env)
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.database_url == env["BRIEFING_DATABASE_URL"]
    assert settings.api_token == "compose-secret-0123456789"
    assert settings.bind_error() is None  # 0.0.0.0 with a token is allowed
    assert settings.auto_migrate is True
    published = compose["services"]["app"]["ports"][0]
    assert published.rsplit(":", 1)[1] == str(settings.port)


def test_the_api_token_is_required(raw: dict[str, Any]) -> None:
    # Without it the service would refuse to listen on 0.0.0.0: compose fails first, saying why.
    with pytest.raises(LookupError, match="BRIEFING_API_TOKEN"):
        interpolate(raw, {})


def test_the_image_is_built_in_two_stages(dockerfile: str) -> None:
    build, final = stages(dockerfile)
    assert re.fullmatch(r"FROM python:3\.11-slim AS build", build[0])
    assert final[0] == "FROM python:3.11-slim"
    assert any("pip wheel" in line for line in build)
    assert "COPY --from=build /opt/venv /opt/venv" in final


def test_the_final_image_has_no_build_tools_and_runs_unprivileged(dockerfile: str) -> None:
    _, final = stages(dockerfile)
    joined = "\n".join(final)
    assert "apt-get install" not in joined and "build-essential" not in joined
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any("useradd" in line and users[-1] in line for line in final)


def test_the_image_runs_the_service_and_checks_its_health(dockerfile: str, compose: dict[str, Any]) -> None:
    _, final = stages(dockerfile)
    assert final[-1] == 'CMD ["briefing", "run"]'
    assert any(line.startswith("HEALTHCHECK") and "/healthz" in line for line in final)
    exposed = [line.split()[1] for line in final if line.startswith("EXPOSE ")]
    assert exposed == [compose["services"]["app"]["environment"]["BRIEFING_PORT"]]


def test_secrets_and_local_data_stay_out_of_the_build_context() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".git", "data", "tests"} <= ignored
