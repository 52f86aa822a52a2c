"""Stream replicas and server lists: what changes when NATS is a cluster."""

from __future__ import annotations

import pytest

from orders.bus import nats_servers, stream_configs
from orders.settings import Settings


def test_streams_have_one_replica_unless_told() -> None:
    assert {config.num_replicas for config in stream_configs()} == {1}
    assert {config.num_replicas for config in stream_configs(3)} == {3}


def test_replicas_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().nats_replicas == 1
    monkeypatch.setenv("ORDERS_NATS_REPLICAS", "3")
    assert Settings().nats_replicas == 3


def test_a_url_may_list_the_nodes_of_a_cluster() -> None:
    assert nats_servers("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]
    assert nats_servers("nats://a:4222, nats://b:4222,nats://c:4222") == [
        "nats://a:4222",
        "nats://b:4222",
        "nats://c:4222",
    ]
