"""Replay histories against the workflow code in this checkout: would it make the same decisions?

A replay runs the workflow from the events of a recorded history, in the sandbox and with the data
converter the worker uses, and fails when the code asks for something else than the history
recorded (another activity, a timer, a step in another order): a `NondeterminismError` naming
the event. A new worker build that fails here would break those orders if they were running.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import cache

from temporalio.client import WorkflowHistory
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer

from cli.payloads import cli_data_converter
from workflows.order import OrderWorkflow


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    run_id: str
    error: str | None
    """None when the code replays the history; else why not (the replay failure's message)."""
    source: str | None = None
    """Where the history came from, when that names it better than its workflow id (a file)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def label(self) -> str:
        return self.source or self.workflow_id


_CORE_MESSAGE = re.compile(r'message: "(.*?)", source:')


def reason(failure: Exception) -> str:
    """The replay failure in one line: core's own message, without the wrapping around it."""
    found = _CORE_MESSAGE.search(str(failure))
    return f"{type(failure).__name__}: {found[1] if found else failure}"


@cache
def _quiet_runtime() -> Runtime:
    """A runtime whose core logs only errors: a failed replay is reported, not also warned."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


def replayer(workflows: Sequence[type] = (OrderWorkflow,), *, quiet: bool = False) -> Replayer:
    """What the orchestrator worker runs, as it runs it: the same workflows, the same converter
    (so the same keys decrypt the history's payloads)."""
    return Replayer(
        workflows=list(workflows),
        data_converter=cli_data_converter(),
        interceptors=[TracingInterceptor()],  # as `orders.temporal.connect` gives the worker
        runtime=_quiet_runtime() if quiet else None,
    )


async def replay(
    histories: AsyncIterator[WorkflowHistory],
    workflows: Sequence[type] = (OrderWorkflow,),
    *,
    quiet: bool = False,
) -> AsyncIterator[ReplayOutcome]:
    """Replay each history in turn, yielding its outcome as soon as it is known."""
    async with replayer(workflows, quiet=quiet).workflow_replay_iterator(histories) as results:
        async for result in results:
            failure = result.replay_failure
            yield ReplayOutcome(
                workflow_id=result.history.workflow_id,
                run_id=result.history.run_id,
                error=None if failure is None else reason(failure),
            )
