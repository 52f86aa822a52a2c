"""`orders replay --dir` on committed histories, and how `orders history` and `orders replay` fail
when Temporal is not there: no servers needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.replay.committed import HISTORIES
from tools.stack.processes import free_port

ENV = {"COLUMNS": "200"}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


def test_replay_dir_replays_the_committed_histories() -> None:
    result = invoke("replay", "--dir", str(HISTORIES))
    assert result.exit_code == 0, result.output
    count = len(list(HISTORIES.rglob("*.json")))
    assert f"replayed {count} histories: all OK" in result.output
    assert "order-happy.json" in result.output
    assert "FAIL" not in result.output


def test_replay_dir_fails_on_a_history_the_code_would_not_make(tmp_path: Path) -> None:
    """A history whose charge was another activity: as if the workflow had been changed since."""
    history = json.loads((HISTORIES / "order-happy.json").read_text())
    for event in history["events"]:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled and scheduled["activityType"]["name"] == "charge_payment":
            scheduled["activityType"]["name"] = "charge_card"
    (tmp_path / "order-tampered.json").write_text(json.dumps(history))
    (tmp_path / "order-happy.json").write_text((HISTORIES / "order-happy.json").read_text())

    result = invoke("replay", "--dir", str(tmp_path))

    assert result.exit_code == 1, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert ["OK", "order-happy.json"] in rows
    assert ["FAIL", "order-tampered.json"] in rows
    assert "NondeterminismError" in result.output
    assert "'charge_card' does not match activity type of activity command 'charge_payment'" in (
        result.output
    )
    assert "1 of 2 histories failed to replay" in result.output


def test_replay_dir_says_which_file_is_not_a_history(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    result = invoke("replay", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "notes.json is not a workflow history" in result.output
    assert "Traceback" not in result.output


def test_replay_dir_with_nothing_in_it_says_so(tmp_path: Path) -> None:
    result = invoke("replay", "--dir", str(tmp_path))
    assert result.exit_code == 0
    assert "nothing to replay" in result.output


@pytest.mark.parametrize(
    "args",
    [("history", "export", "A-1"), ("history", "export", "--query", "true"), ("replay",)],
    ids=["export-one", "export-query", "replay"],
)
def test_an_unreachable_temporal_exits_2_with_one_line(args: tuple[str, ...]) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    result = invoke(*args, "--address", address)
    assert result.exit_code == 2, result.output
    assert f"cannot reach Temporal at {address}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [(), ("A-1", "--query", "true")], ids=["neither", "both"])
def test_export_takes_an_order_id_or_a_query(args: tuple[str, ...]) -> None:
    result = invoke("history", "export", *args)
    assert result.exit_code == 2
    assert "give an ORDER_ID or --query" in result.output
