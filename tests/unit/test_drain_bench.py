"""The drain bench's arithmetic: which runs it plans, the catch-up after an outage, and the
report's ratios (to the no-op of the same commit mode, batch over one at a time)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.bench.drain import Run, catch_up_seconds, plan
from tools.bench.drain_report import batch_gains, duration, markdown, rows


def test_the_database_consumers_and_the_noop_run_once_per_commit_mode() -> None:
    runs = plan(["analytics", "notification", "noop"], [False, True])
    assert [run.label for run in runs] == [
        "noop (one at a time)", "noop (batch)", "notification",
        "analytics (one at a time)", "analytics (batch)",
    ]  # fmt: skip
    assert runs[0].durable == "analytics" and runs[0].module == "tools.bench.noop_consumer"
    assert Run("loyalty", True).prefix == "LOYALTY"


def test_an_hour_at_ten_a_second_drains_at_the_rate_above_the_arrivals() -> None:
    assert catch_up_seconds(110.0) == pytest.approx(360.0)  # 36,000 events at 100/s net
    assert catch_up_seconds(10.0) is None  # never catches up
    assert catch_up_seconds(None) is None
    assert duration(360.0) == "6 min 00 s"
    assert duration(4000.0) == "1 h 06 min"
    assert duration(42.4) == "42 s"
    assert duration(None) == "never"


def _run(consumer: str, batch: bool | None, rate: float) -> dict[str, Any]:
    label = consumer if batch is None else f"{consumer} ({'batch' if batch else 'one at a time'})"
    return {
        "consumer": consumer, "label": label, "batch_commit": batch, "events_per_second": rate,
        "cpu_seconds_per_event": 0.002, "nats_cpu_seconds_per_event": 0.0002,
        "catch_up_seconds": catch_up_seconds(rate), "applied": 100, "dead_lettered": 0,
        "nothing_lost": True,
    }  # fmt: skip


def test_each_run_is_compared_with_the_noop_of_its_commit_mode() -> None:
    result: dict[str, Any] = {
        "events": 100,
        "outage": {"seconds": 3600, "arrivals_per_second": 10.0, "backlog": 36000},
        "runs": [
            _run("noop", False, 400.0),
            _run("noop", True, 800.0),
            _run("notification", None, 20.0),
            _run("loyalty", False, 50.0),
            _run("loyalty", True, 200.0),
        ],
    }
    ratios = {row[0]: row[2] for row in rows(result)}
    assert ratios == {
        "noop (one at a time)": "1.00", "noop (batch)": "1.00", "notification": "0.05",
        "loyalty (one at a time)": "0.12", "loyalty (batch)": "0.25",
    }  # fmt: skip
    assert batch_gains(result) == {"noop": 2.0, "loyalty": 4.0}
    report = markdown(result)
    assert (
        "| loyalty (batch) | 200.0 | 0.25 | 2.00 | 0.20 | 3 min 09 s | 100 of 100 | 0 |" in report
    )
    assert "batch commit over one at a time: noop 2.00x, loyalty 4.00x" in report
    assert "NOT every event" not in report
    result["runs"][-1]["nothing_lost"] = False
    assert "NOT every event applied once by: loyalty (batch)" in markdown(result)
