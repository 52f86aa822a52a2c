"""What the compose files are checked against: a real Compose parser, and what the code reads.

`load` runs `docker-compose config` (Debian's `docker-compose`, a real Compose implementation)
and returns the resolved model. `ROLES` says, for each console script an image runs, which
settings classes its process reads, whether it reads Temporal's environment configuration, the
app it serves and where that app listens, so that a service's environment, command and health
check can be compared with the code itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from api.auth.settings import AuthSettings
from api.codec_server.app import create_app as codec_server_app
from api.codec_server.settings import CodecServerSettings
from api.main import create_app as api_app
from orders.encryption import CodecSettings, codec
from orders.settings import Settings
from services.inventory.app import create_app as inventory_app
from services.inventory.settings import InventorySettings
from services.payment.app import create_app as payment_app
from services.payment.settings import PaymentSettings
from services.shipping.app import create_app as shipping_app
from services.shipping.settings import ShippingSettings
from tests.codec_keys import TEST_KEYS
from tools.smtp_sink.settings import SmtpSinkSettings
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.settings import NotificationSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = shutil.which("docker-compose")
SECRETS = {
    "POSTGRES_PASSWORD": "orders-secret",
    "TEMPORAL_DB_PASSWORD": "temporal-secret",
    "ORDERS_CODEC_KEYS": TEST_KEYS,
    "ORDERS_CODEC_SERVER_TOKEN": "codec-token",
    "ORDERS_SERVICE_TOKEN": "service-secret",
}

# Temporal's environment configuration, as `orders.temporal.connect` loads it
# (`temporalio.envconfig.ClientConfig`); `TEMPORAL_GRPC_META_*` is a prefix.
TEMPORAL_ENV = {
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_PROFILE",
    "TEMPORAL_CONFIG_FILE",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    "TEMPORAL_CODEC_ENDPOINT",
    "TEMPORAL_CODEC_AUTH",
}


def load(*files: str, env: Mapping[str, str] = SECRETS) -> dict[str, Any]:
    """The model `docker-compose config` resolves from `files` with `env` set."""
    assert COMPOSE is not None
    argv = [COMPOSE, "--project-directory", str(ROOT)]
    for name in files:
        argv += ["-f", str(ROOT / name)]
    clean = {
        k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("COMPOSE")
    }
    result = subprocess.run(
        [*argv, "config"], capture_output=True, text=True, env={**clean, **env}, check=False
    )
    if result.returncode != 0:
        raise ComposeError(result.stderr.strip())
    model: dict[str, Any] = yaml.safe_load(result.stdout)
    return model


class ComposeError(Exception):
    """`docker-compose config` refused the files; the message is its stderr."""


def env_names(settings_class: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads: prefix + field name, or its aliases."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    names = set()
    for name, info in settings_class.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names |= {str(choice).upper() for choice in alias.choices if isinstance(choice, str)}
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def console_scripts() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scripts: dict[str, str] = project["project"]["scripts"]
    return scripts


@dataclass(frozen=True)
class Role:
    """What one console script's process reads and serves (built from the environment)."""

    settings: tuple[type[BaseSettings], ...]
    temporal: bool = False
    app: Callable[[], FastAPI] | None = None
    listens: Callable[[], tuple[str, int]] | None = None
    reads: set[str] = field(init=False)

    def __post_init__(self) -> None:
        names = set().union(*(env_names(cls) for cls in self.settings))
        object.__setattr__(self, "reads", names | (TEMPORAL_ENV if self.temporal else set()))


def _api_listens() -> tuple[str, int]:
    settings = Settings()
    return settings.api_host, settings.api_port


def _service(
    settings_class: type[InventorySettings | PaymentSettings | ShippingSettings],
    factory: Callable[[Any], FastAPI],
) -> Role:
    def listens() -> tuple[str, int]:
        settings = settings_class()
        return settings.host, settings.port

    return Role((settings_class,), app=lambda: factory(settings_class()), listens=listens)


def _consumer(
    settings_class: type[NotificationSettings | LoyaltySettings | AnalyticsSettings],
    factory: Callable[..., FastAPI],
) -> Role:
    def listens() -> tuple[str, int]:
        settings = settings_class()
        return settings.host, settings.port

    return Role(
        (settings_class, Settings),
        app=lambda: factory(settings_class(), nats_url="nats://nowhere:4222"),
        listens=listens,
    )


def _codec_server() -> Role:
    def app() -> FastAPI:
        keys = codec()
        assert keys is not None
        return codec_server_app(CodecServerSettings(), keys)

    def listens() -> tuple[str, int]:
        settings = CodecServerSettings()
        return settings.host, settings.port

    return Role((CodecServerSettings, CodecSettings), app=app, listens=listens)


ROLES: dict[str, Role] = {
    "orders-api": Role(
        (Settings, AuthSettings, CodecSettings),
        temporal=True,
        app=lambda: api_app(Settings(), auth=AuthSettings()),
        listens=_api_listens,
    ),
    "orders-worker": Role((Settings, CodecSettings), temporal=True),
    "orders-codec-server": _codec_server(),
    "orders-inventory": _service(InventorySettings, inventory_app),
    "orders-payment": _service(PaymentSettings, payment_app),
    "orders-shipping": _service(ShippingSettings, shipping_app),
    "orders-notification": _consumer(NotificationSettings, notification_app),
    "orders-loyalty": _consumer(LoyaltySettings, loyalty_app),
    "orders-analytics": _consumer(AnalyticsSettings, analytics_app),
    "orders-smtp-sink": Role((SmtpSinkSettings,)),
    "orders": Role((Settings,)),
}
"""The roles our image runs in compose; of the CLI (`orders`), only the bus-init job runs, as
`orders bus provision`."""

ENV_PREFIXES = (
    "ORDERS_",
    "TEMPORAL_",
    "INVENTORY_",
    "PAYMENT_",
    "SHIPPING_",
    "NOTIFICATION_",
    "LOYALTY_",
    "ANALYTICS_",
    "SMTP_SINK_",
)
"""Where a developer's own environment could leak into the settings a check builds."""
