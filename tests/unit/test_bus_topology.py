"""The topology as the code defines it: replicas and server lists (what changes when NATS is a
cluster), the streams' limits, and how a live config is compared with it (`orders.topology`)."""

from __future__ import annotations

import dataclasses

import pytest
from nats.js.api import DiscardPolicy
from typer.testing import CliRunner

from cli.main import app
from orders.bus import MAX_DELIVER, consumer_config, nats_servers, stream_configs
from orders.settings import Settings
from orders.topology import Difference, drift
from tools.stack.processes import free_port


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


def test_both_streams_are_bounded_and_refuse_new_messages_when_full() -> None:
    events, dlq = stream_configs(max_bytes=10_000, dlq_max_bytes=2_000)
    assert (events.max_bytes, dlq.max_bytes) == (10_000, 2_000)
    assert {events.discard, dlq.discard} == {DiscardPolicy.NEW}
    assert stream_configs()[0].max_bytes == Settings().events_max_bytes == 1024**3


def test_drift_compares_what_the_code_chooses_as_the_server_returns_it() -> None:
    code = stream_configs()[0]
    # As read back from the server: enums as strings, subjects in another order, defaults filled.
    live = dataclasses.replace(
        code,
        discard="new",  # type: ignore[arg-type]
        storage="file",  # type: ignore[arg-type]
        retention="limits",  # type: ignore[arg-type]
        subjects=list(reversed(code.subjects or [])),
        allow_direct=False,
        max_consumers=-1,
    )
    assert drift(live, code) == []
    assert drift(dataclasses.replace(live, duplicate_window=60.0), code) == [
        Difference("duplicate_window", 60.0, 7200.0)
    ]


def test_settings_an_operator_may_tune_are_not_drift_except_to_provision() -> None:
    code = stream_configs(replicas=3)[0]
    tuned = dataclasses.replace(code, num_replicas=1, max_bytes=5, max_msgs=10, description="ops")
    assert drift(tuned, code) == []
    assert {d.setting for d in drift(tuned, code, frozenset())} == {"num_replicas", "max_bytes"}
    consumer = consumer_config("loyalty")
    assert drift(dataclasses.replace(consumer, max_ack_pending=50), consumer) == []
    assert str(drift(dataclasses.replace(consumer, max_deliver=7), consumer)[0]) == (
        f"max_deliver is 7, the code says {MAX_DELIVER}"
    )


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--replicas", "9"], {}, "--replicas"),
        ([], {"ORDERS_NATS_REPLICAS": "three"}, "ORDERS_NATS_REPLICAS"),
        ([], {"ORDERS_EVENTS_MAX_BYTES": "12"}, "ORDERS_EVENTS_MAX_BYTES"),
    ],
)
def test_provision_refuses_bad_values_as_usage_errors(
    args: list[str], env: dict[str, str], says: str
) -> None:
    result = CliRunner().invoke(app, ["bus", "provision", *args], env=env)
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Traceback" not in result.output


def test_bus_commands_say_in_one_line_that_nats_is_unreachable() -> None:
    for command in ("provision", "status"):
        result = CliRunner().invoke(
            app, ["bus", command, "--nats", f"nats://127.0.0.1:{free_port()}"]
        )
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: cannot reach NATS"), result.output
