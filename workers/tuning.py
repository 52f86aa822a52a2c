"""The worker's tuning, in one place: the orchestrator and the benchmark's no-op worker both use it.

The no-op limit `orders bench` measures is only a limit for *this* worker if it runs with the same
slots, pollers, cache and sandbox; building both from `worker_options` keeps them from drifting.
"""

from __future__ import annotations

import compileall
import logging
import sys
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from temporalio.worker import PollerBehaviorSimpleMaximum
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from orders.settings import Settings

log = logging.getLogger(__name__)

PASSED_THROUGH = ("pydantic", "pydantic_core", "annotated_types", "orders")
"""Modules the sandbox may share with the worker rather than re-import for every workflow run:
pure, deterministic code (the contracts and their validation library)."""


def workflow_runner(settings: Settings) -> SandboxedWorkflowRunner:
    restrictions = SandboxRestrictions.default
    if settings.sandbox_passthrough:
        restrictions = restrictions.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def worker_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `temporalio.worker.Worker` beyond client, task queue and code."""
    return {
        "max_concurrent_workflow_tasks": settings.max_concurrent_workflow_tasks,
        "max_concurrent_activities": settings.max_concurrent_activities,
        "max_concurrent_local_activities": settings.max_concurrent_local_activities,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(
            settings.workflow_task_pollers
        ),
        "activity_task_poller_behavior": PollerBehaviorSimpleMaximum(
            settings.activity_task_pollers
        ),
        "max_cached_workflows": settings.max_cached_workflows,
        "disable_eager_activity_execution": not settings.eager_activities,
        "workflow_runner": workflow_runner(settings),
        "graceful_shutdown_timeout": timedelta(seconds=15),
    }


def write_workflow_bytecode(workflows: Iterable[type]) -> list[str]:
    """Write the bytecode of each workflow's module where it is missing or stale.

    The sandbox re-imports a workflow's own module for every workflow run it starts: that is how it
    keeps runs apart. Where no bytecode is on disk (`PYTHONDONTWRITEBYTECODE`, a fresh checkout)
    each of those imports compiles the source again, about 3 ms of CPU per order for
    `workflows/order.py`; with bytecode it is read and unmarshalled. Answers the modules whose
    bytecode could not be written (a read-only install); those keep working, only slower.
    """
    unwritten = []
    for workflow in workflows:
        path = getattr(sys.modules[workflow.__module__], "__file__", None)
        if path is None or not path.endswith(".py"):
            continue
        if not compileall.compile_file(path, quiet=2):
            unwritten.append(path)
            log.warning("could not write the bytecode of %s: each workflow run compiles it", path)
    return unwritten
