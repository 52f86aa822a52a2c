"""What the local stack runs and where: the participant services, and every port with the
variable that moves it, from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from orders.bus import CONSUMERS
from tools.stack.processes import free_ports

SERVICES = ("inventory", "payment", "shipping")
DEV_RATE_LIMIT = "1000"
"""Requests a second (and burst) per API key on the local stack."""
PORT_FIELDS = (
    "temporal",
    "temporal_ui",
    "nats",
    "smtp",
    *SERVICES,
    *CONSUMERS,
    "api",
    "codec_server",
    "worker_metrics",
)


class DevSettings(BaseSettings):
    """Ports and the data directory of the local stack, from the environment."""

    data_dir: Path = Field(default=Path(".data"), validation_alias="ORDERS_DATA_DIR")
    temporal_port: int = Field(default=7233, validation_alias="TEMPORAL_PORT")
    temporal_ui_port: int = Field(default=8233, validation_alias="TEMPORAL_UI_PORT")
    nats_port: int = Field(default=4222, validation_alias="NATS_PORT")
    smtp_port: int = Field(default=1025, validation_alias="SMTP_SINK_PORT")
    inventory_port: int = Field(default=8101, validation_alias="INVENTORY_PORT")
    payment_port: int = Field(default=8102, validation_alias="PAYMENT_PORT")
    shipping_port: int = Field(default=8103, validation_alias="SHIPPING_PORT")
    notification_port: int = Field(default=8201, validation_alias="NOTIFICATION_PORT")
    loyalty_port: int = Field(default=8202, validation_alias="LOYALTY_PORT")
    analytics_port: int = Field(default=8203, validation_alias="ANALYTICS_PORT")
    api_port: int = Field(default=8000, validation_alias="ORDERS_API_PORT")
    codec_server_port: int = Field(default=8089, validation_alias="ORDERS_CODEC_SERVER_PORT")
    worker_metrics_port: int = Field(default=8300, validation_alias="WORKER_METRICS_PORT")

    @classmethod
    def on_free_ports(cls, data_dir: Path) -> DevSettings:
        """A stack in `data_dir` with every port free now: for tests and `orders bench`."""
        ports = dict(
            zip((f"{name}_port" for name in PORT_FIELDS), free_ports(len(PORT_FIELDS)), strict=True)
        )
        return cls.model_validate(
            {
                str(cls.model_fields[name].validation_alias): value
                for name, value in {"data_dir": data_dir, **ports}.items()
            }
        )

    def port_of(self, name: str) -> int:
        port: int = getattr(self, f"{name}_port")
        return port

    def ports(self) -> dict[str, tuple[str, int]]:
        """Each port the stack binds: what uses it and the variable that moves it."""
        return {
            "Temporal": ("TEMPORAL_PORT", self.temporal_port),
            "Temporal Web UI": ("TEMPORAL_UI_PORT", self.temporal_ui_port),
            "NATS": ("NATS_PORT", self.nats_port),
            "SMTP sink": ("SMTP_SINK_PORT", self.smtp_port),
            **{
                name: (f"{name.upper()}_PORT", self.port_of(name))
                for name in (*SERVICES, *CONSUMERS)
            },
            "API": ("ORDERS_API_PORT", self.api_port),
            "codec server": ("ORDERS_CODEC_SERVER_PORT", self.codec_server_port),
            "worker metrics": ("WORKER_METRICS_PORT", self.worker_metrics_port),
        }
