"""`orders bench` as people run it, tiny: a fresh stack, two rounds of three orders, every field
of the result (the saga with free participants too); and the CPU-per-call bench of one
participant service.

It asserts what the run produced, never how fast: the numbers are the benchmark's business.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from subprocess import PIPE, STDOUT
from typing import Any

import pytest

from tests.processes import alive, descendants

LATENCIES = ("post_to_started", "post_to_completed", "post_to_last_effect")
SUMMARY = {"count", "mean", "p50", "p95", "p99", "max"}
STACK = {
    "temporal", "nats", "smtp-sink", "inventory", "payment", "shipping",
    "notification", "loyalty", "analytics", "worker", "api", "codec-server", "noop-worker", "bench",
    "free-participants", "saga-nats", "saga-worker",
}  # fmt: skip
STEPS = {"reserve_inventory", "charge_payment", "schedule_shipment", "publish_event"}


RUNNING: list[asyncio.subprocess.Process] = []


async def start_bench(*argv: str, **options: Any) -> asyncio.subprocess.Process:
    """A bench process, stopped at the end of its test if it still runs (see `_stopped`)."""
    process = await asyncio.create_subprocess_exec(*argv, **options)
    RUNNING.append(process)
    return process


@pytest.fixture(autouse=True)
async def _stopped() -> AsyncIterator[None]:
    """A test that fails or times out leaves no bench, nor the stack it started, behind: each
    is stopped as a user stops it (SIGTERM stops its stack), and killed if that hangs."""
    yield
    while RUNNING:
        process = RUNNING.pop()
        if process.returncode is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.mark.timeout(300)
async def test_a_tiny_bench_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    process = await start_bench(
        sys.executable, "-m", "cli", "bench",
        "--count", "3", "-c", "2", "--rounds", "2", "--warmup", "1", "--out", str(out),
        stdout=PIPE, stderr=STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert await process.wait() == 0, output.decode()

    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    result = json.loads((out / "result.json").read_text())
    assert result["cpu_per_process"] is True
    assert {"cpus", "memory_gib", "python"} <= result["machine"].keys()
    assert "max_cached_workflows" in result["worker_settings"]
    [level] = result["levels"]
    assert level["concurrency"] == 2
    assert {"throughput", "post_to_completed_p50"} <= level["ratios"].keys()
    assert "throughput_met" in level["targets"]
    assert result["rounds"] == 2
    assert result["phases"] == ["noop", "saga", "app"]
    assert [one["first"] for one in level["rounds"]] == ["noop", "saga"]
    assert level["shown_round"] in (0, 1)
    assert {"allowed", "used", "temporal_and_worker"} <= level["cpu_budget"].keys()
    assert all(one["throughput_per_second"]["app"] > 0 for one in level["rounds"])
    assert {"throughput", "post_to_completed_p50"} <= level["saga_ratios"].keys()
    assert "saga_used" in level["cpu_budget"]
    for name in ("app", "saga", "noop"):
        phase = level[name]
        assert phase["statuses"] == {"COMPLETED": 3}, phase
        assert phase["throughput_per_second"] > 0
        assert set(phase["cpu_seconds_per_order"]) == STACK
        assert phase["cores_busy"]["of"] == os.cpu_count()
        assert 0 < phase["cores_busy"]["busy"] < phase["cores_busy"]["of"] + 0.5  # tick rounding
        assert sum(phase["completions_per_second"]) == 3
        assert set(phase["breakdown"]["activities"]) == STEPS
        for latency in LATENCIES[:2]:
            assert phase["latency_seconds"][latency]["count"] == 3
            assert set(phase["latency_seconds"][latency]) == SUMMARY
    # The saga runs on a worker of its own (its participants and NATS are too small to show).
    assert level["saga"]["cpu_seconds_per_order"]["saga-worker"] > 0
    assert level["app"]["cpu_seconds_per_order"]["worker"] > 0
    app = level["app"]
    assert app["latency_seconds"]["post_to_last_effect"]["count"] == 3
    assert set(app["breakdown"]["consumer_lag"]) == {"notification", "loyalty", "analytics"}
    assert all(lag["count"] == 3 for lag in app["breakdown"]["consumer_lag"].values())
    assert "targets: throughput" in output.decode()
    assert "rounds: throughput ratio" in output.decode()
    assert "saga with free participants: throughput" in output.decode()


@pytest.mark.timeout(300)
async def test_a_bench_stopped_twice_mid_run_stops_its_whole_stack(tmp_path: Path) -> None:
    process = await start_bench(
        sys.executable, "-m", "cli", "bench",
        "--count", "500", "-c", "2", "--warmup", "0", "--out", str(tmp_path / "bench"),
        stdout=PIPE, stderr=STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    seen = b""
    while b"concurrency 2" not in seen:  # the stack is up and orders are flowing
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        assert line, seen.decode()
        seen += line
    started = descendants(process.pid)
    assert len(started) >= 13, started  # the stack's processes and the no-op worker

    # Twice, as a supervisor's `timeout` and the user both send it: the second must not cut the
    # stopping short.
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    output, _ = await process.communicate()
    assert await process.wait() == 130, (seen + output).decode()
    assert b"stopped; no result written" in output
    assert [pid for pid in started if alive(pid)] == []
    assert not (tmp_path / "bench" / "result.json").exists()


@pytest.mark.timeout(120)
async def test_the_participant_call_bench_measures_the_service_alone() -> None:
    process = await start_bench(
        sys.executable, "-m", "tools.bench.participant_call", "--count", "20", "--concurrency", "2",
        stdout=PIPE, stderr=STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert await process.wait() == 0, output.decode()

    found = re.search(
        rb"20 reservations at 2 in flight: (\d+) calls/s, ([\d.]+) ms of the service's CPU", output
    )
    assert found is not None, output.decode()
    assert int(found[1]) > 0 and float(found[2]) > 0


ROW = re.compile(
    r"^\| (?P<label>[a-z() ]+?) \| (?P<rate>[\d.]+) \| (?P<ratio>[\d.]+) \| (?P<cpu>[\d.]+) \| "
    r"[\d.]+ \| (?P<catch_up>[^|]+) \| (?P<applied>\d+) of (?P<events>\d+) \| (?P<dlq>\d+) \|$"
)
DRAIN_RUNS = {
    "noop (one at a time)", "noop (batch)", "notification", "loyalty (one at a time)",
    "loyalty (batch)", "analytics (one at a time)", "analytics (batch)",
}  # fmt: skip


@pytest.mark.timeout(600)
async def test_a_small_drain_bench_reports_every_consumer_both_ways(tmp_path: Path) -> None:
    out = tmp_path / "drain"
    process = await start_bench(
        sys.executable, "-m", "cli", "bench", "--consumers", "--events", "200",
        "--commit", "one", "--commit", "batch", "--out", str(out),
        stdout=PIPE, stderr=STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert await process.wait() == 0, output.decode()

    result = json.loads((out / "result.json").read_text())
    assert result["events"] == 200 and result["outage"]["backlog"] == 36_000
    assert {run["label"] for run in result["runs"]} == DRAIN_RUNS
    for run in result["runs"]:
        assert run["nothing_lost"] and run["applied"] == 200 and run["dead_lettered"] == 0, run
        assert run["events_per_second"] > 0 and run["cpu_seconds_per_event"] > 0, run
        assert 0 < run["measured_events"] <= 200, run
    report = (out / "report.md").read_text()
    rows = [found.groupdict() for line in report.splitlines() if (found := ROW.match(line))]
    assert {row["label"] for row in rows} == DRAIN_RUNS, report
    for row in rows:
        assert float(row["rate"]) > 0 and float(row["ratio"]) > 0 and float(row["cpu"]) > 0, row
        assert (row["applied"], row["events"], row["dlq"]) == ("200", "200", "0"), row
        assert re.fullmatch(r"(\d+ h \d+ min|\d+ min \d+ s|\d+ s|never)", row["catch_up"]), row
    assert "batch commit over one at a time: noop" in report
    assert "drain of 200 events" in output.decode()


async def test_the_drain_bench_names_an_unknown_consumer_without_a_traceback() -> None:
    process = await start_bench(
        sys.executable, "-m", "cli", "bench", "--consumers", "--consumer", "billing",
        stdout=PIPE, stderr=STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert await process.wait() == 2, output.decode()
    assert b"no consumer billing" in output and b"Traceback" not in output
