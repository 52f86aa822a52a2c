"""docker-compose.yml and its overlays, checked without a container engine.

A real Compose implementation (`docker-compose config`) resolves the files; then every service
our image runs is compared with the code: its command is a console script of pyproject.toml (or
a `python -m` module that exists), every variable in its environment is one its process reads
and validates, its health check calls a route its app has on the port it listens on, and it waits
for every dependency by health (or by a one-shot job's success).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from temporalio.envconfig import ClientConfig

from orders.temporal import SEARCH_ATTRIBUTES
from tests.compose import (
    COMPOSE,
    ENV_PREFIXES,
    ROLES,
    ROOT,
    SECRETS,
    ComposeError,
    console_scripts,
    load,
)

pytestmark = pytest.mark.skipif(
    COMPOSE is None,
    reason="docker-compose is not installed (`apt-get install docker-compose`, as .ci/run does)",
)

BASE = "docker-compose.yml"
VARIANTS = {
    "base": (BASE,),
    "dev": (BASE, "docker-compose.dev.yml"),
    "nats-cluster": (BASE, "docker-compose.nats-cluster.yml"),
}
IMAGE = "hybrid-orders"
JOBS = {"temporal-schema", "temporal-setup", "bus-init"}
"""The one-shot jobs: each runs to completion before what depends on it starts."""
URL = re.compile(r"https?://[^\s'\"]+")


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def model(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(*VARIANTS[request.param])


def ours(model: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The services that run our image, with their resolved config."""
    for name, service in sorted(model["services"].items()):
        if str(service.get("image", "")).split(":")[0].endswith(IMAGE):
            yield name, service


def routes(app: FastAPI) -> set[str]:
    """The GET routes of `app`, as its OpenAPI document lists them."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def role_of(service: dict[str, Any]) -> str:
    command = service["command"]
    assert isinstance(command, list) and command, "command in exec form, naming the role"
    return str(command[0])


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ORDERS_*, INVENTORY_*… of the developer's own leak into the settings built here."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


def test_secrets_are_required() -> None:
    for missing in SECRETS:
        with pytest.raises(ComposeError, match=f"set {missing}"):
            load(BASE, env={k: v for k, v in SECRETS.items() if k != missing})


def test_every_process_of_the_system_runs(model: dict[str, Any]) -> None:
    roles = {role_of(service) for _, service in ours(model)}
    assert roles == set(ROLES) - {"orders-smtp-sink"}  # the stack uses a real SMTP catcher
    images = {str(s.get("image", "")).split(":")[0] for s in model["services"].values()}
    assert {"temporalio/server", "temporalio/ui", "nats", "postgres", "axllent/mailpit"} <= images


def test_commands_are_entrypoints_of_the_project(model: dict[str, Any]) -> None:
    scripts = console_scripts()
    for name, service in ours(model):
        command = [str(part) for part in service["command"]]
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, f"{name}: {command}"
        else:
            assert command[0] in scripts, f"{name}: {command[0]} is no console script"
            assert command[0] in ROLES, f"{name}: {command[0]} is not a role an image runs"


def test_environments_are_settings_the_code_reads(
    model: dict[str, Any], clean_env: pytest.MonkeyPatch
) -> None:
    for name, service in ours(model):
        role = ROLES[role_of(service)]
        env: dict[str, str] = service.get("environment") or {}
        unread = sorted(set(env) - role.reads)
        assert not unread, f"{name} sets variables its process never reads: {unread}"
        for key, value in env.items():
            clean_env.setenv(key, value)
        for settings_class in role.settings:
            settings_class()  # every value validates
        if role.temporal:
            config = ClientConfig.load_client_connect_config(
                override_env_vars=env, disable_file=True
            )
            assert config.get("target_host") == env["TEMPORAL_ADDRESS"], name
            assert config.get("namespace") == env.get("TEMPORAL_NAMESPACE", "default"), name
        for key in env:
            clean_env.delenv(key)


def test_health_checks_call_routes_that_exist_where_the_app_listens(
    model: dict[str, Any], clean_env: pytest.MonkeyPatch
) -> None:
    for name, service in ours(model):
        if name in JOBS:
            continue  # runs to completion: waited for by its success, not its health
        role = ROLES[role_of(service)]
        test = [str(part) for part in service["healthcheck"]["test"]]
        assert test[0] == "CMD", f"{name}: exec form, no shell in between"
        env: dict[str, str] = service.get("environment") or {}
        for key, value in env.items():
            clean_env.setenv(key, value)
        if test[1:3] == ["python", "-m"]:
            assert importlib.util.find_spec(test[3]) is not None, f"{name}: {test}"
        else:
            assert test[1:3] == ["python", "-c"], f"{name}: the image has python, not curl"
            urls = URL.findall(test[3])
            assert len(urls) == 1, f"{name}: {test}"
            url = urlsplit(urls[0])
            assert role.app is not None and role.listens is not None
            assert url.path in routes(role.app()), f"{name}: {url.path} is not a route of its app"
            host, port = role.listens()
            assert host == "0.0.0.0", f"{name} listens on {host}: unreachable from other containers"
            assert url.port == port, f"{name}: checks port {url.port}, listens on {port}"
        for key in env:
            clean_env.delenv(key)


def test_every_service_is_healthchecked_and_waited_for_by_health(model: dict[str, Any]) -> None:
    services = model["services"]
    jobs = {name for name, s in services.items() if str(s.get("restart")) == "no"}
    assert jobs == JOBS
    for name, service in services.items():
        if name not in jobs:
            assert "healthcheck" in service, f"{name} has no health check"
            assert service["healthcheck"].get("disable") is not True, name
        for dependency, how in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency in jobs else "service_healthy"
            assert how == {"condition": wanted}, f"{name} -> {dependency}: {how}"


def test_only_the_api_is_published_by_the_base_file() -> None:
    model = load(BASE)
    published = {name for name, s in model["services"].items() if s.get("ports")}
    assert published == {"api"}


def test_the_dev_file_publishes_on_localhost_only() -> None:
    base, dev = load(BASE), load(*VARIANTS["dev"])
    for name, service in dev["services"].items():
        added = [
            p for p in service.get("ports", []) if p not in base["services"][name].get("ports", [])
        ]
        for port in added:
            host = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host == "127.0.0.1", f"{name}: {port}"


def test_every_database_a_service_uses_is_created(model: dict[str, Any]) -> None:
    created = set(model["services"]["postgres"]["environment"]["DATABASES"].split())
    for name, service in ours(model):
        for key, value in (service.get("environment") or {}).items():
            if key.endswith("_DATABASE_URL"):
                url = make_url(value)
                assert url.host == "postgres" and url.database in created, f"{name}: {key}"
                assert url.password == SECRETS["POSTGRES_PASSWORD"], f"{name}: the secret"
    init = (ROOT / "deploy/postgres/create-databases.sh").read_text()
    assert "$DATABASES" in init or "${DATABASES" in init


def test_temporal_setup_registers_the_search_attributes_the_workflow_upserts() -> None:
    script = (ROOT / "deploy/temporal/setup-namespace.sh").read_text()
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert f"{name}={kind}" in script


def test_the_nats_cluster_variant_runs_three_nodes_and_three_replicas() -> None:
    services = load(*VARIANTS["nats-cluster"])["services"]
    nodes = ["nats", "nats-2", "nats-3"]
    for node in nodes:
        command = " ".join(services[node]["command"])
        assert "--cluster_name=orders" in command and "--jetstream" in command, node
        assert all(f"nats://{other}:6222" in command for other in nodes), node
    for name, service in ours(load(*VARIANTS["nats-cluster"])):
        env = service.get("environment") or {}
        if "ORDERS_NATS_URL" in env:
            servers = env["ORDERS_NATS_URL"].split(",")
            assert sorted(urlsplit(s).hostname for s in servers) == nodes, name
            assert {"nats", "nats-2", "nats-3"} <= set(service["depends_on"]), name
    command = services["bus-init"]["command"]
    assert command == ["orders", "bus", "provision", "--replicas", "3"]


def test_the_bus_is_provisioned_once_before_anything_uses_it(model: dict[str, Any]) -> None:
    services = model["services"]
    assert services["bus-init"]["command"][:3] == ["orders", "bus", "provision"]
    users = {
        name
        for name, service in ours(model)
        if "ORDERS_NATS_URL" in (service.get("environment") or {}) and name != "bus-init"
    }
    assert users == {"worker", "notification", "loyalty", "analytics"}
    for name in users:
        assert services[name]["depends_on"]["bus-init"] == {
            "condition": "service_completed_successfully"
        }, name
        assert "ORDERS_NATS_REPLICAS" not in services[name].get("environment", {}), (
            f"{name}: only the bus-init job sets the replicas"
        )
