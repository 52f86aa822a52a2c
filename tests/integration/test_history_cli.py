"""`orders history export` and `orders replay` against the real Temporal dev server.

The commands run in a thread (they run their own event loop) while the session's worker keeps
running in the test's loop.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker
from typer.testing import CliRunner, Result

from cli.history import histories
from cli.history.replaying import replayer
from cli.main import app
from orders.models import ChargePaymentInput, OrderStatus
from orders.temporal import ActivityName, workflow_id
from tests.integration.orders import poll, run
from tests.integration.participants import new_order
from tests.replay.variants import SCREEN_FOR_FRAUD, FraudScreenAdded
from tests.stand_ins import StandIns
from workflows.order import OrderWorkflow


async def invoke(temporal_address: str, *args: str) -> Result:
    argv = [*args, "--address", temporal_address]
    return await asyncio.to_thread(CliRunner().invoke, app, argv, env={"COLUMNS": "200"})


def ids_query(*order_ids: str) -> str:
    return " OR ".join(f'WorkflowId = "{workflow_id(order_id)}"' for order_id in order_ids)


async def test_export_one_order_writes_a_history_that_replays(
    client: Client, temporal_address: str, worker: Worker, tmp_path: Path
) -> None:
    order = new_order()
    assert (await run(client, order)).status is OrderStatus.COMPLETED

    result = await invoke(
        temporal_address, "history", "export", order.order_id, "--out", str(tmp_path)
    )

    assert result.exit_code == 0, result.output
    path = tmp_path / f"order-{order.order_id}.json"
    assert result.output.strip() == str(path)
    exported = histories.read(path)
    assert exported.workflow_id == workflow_id(order.order_id)
    await replayer().replay_workflow(exported)


async def test_export_a_query_writes_one_file_per_workflow(
    client: Client, temporal_address: str, worker: Worker, tmp_path: Path
) -> None:
    orders = [new_order(), new_order(payment_token="tok_chargeDeclined")]
    for order in orders:
        await run(client, order)

    query = ids_query(*(order.order_id for order in orders))
    result = await invoke(
        temporal_address, "history", "export", "--query", query, "-o", str(tmp_path)
    )

    assert result.exit_code == 0, result.output
    written = await asyncio.to_thread(lambda: sorted(path.name for path in tmp_path.iterdir()))
    assert written == sorted(f"order-{order.order_id}.json" for order in orders)
    assert "exported 2 histories" in result.output


async def test_export_of_an_unknown_order_exits_1(temporal_address: str) -> None:
    result = await invoke(temporal_address, "history", "export", "no-such-order")
    assert result.exit_code == 1
    assert "no order no-such-order" in result.output
    assert "Traceback" not in result.output


async def test_a_query_temporal_refuses_exits_1(temporal_address: str) -> None:
    result = await invoke(temporal_address, "history", "export", "--query", "NoSuchField = 1")
    assert result.exit_code == 1
    assert "Temporal refused the query" in result.output


@activity.defn(name=SCREEN_FOR_FRAUD)
async def screen(request: ChargePaymentInput) -> None:
    """The activity of a workflow version this checkout does not have."""


async def test_replay_flags_the_orders_of_another_workflow_version(
    client: Client, temporal_address: str, worker: Worker
) -> None:
    """One order run by this code and one by a version that screens for fraud: only the
    second fails replay, and the command exits 1 — the check that stops a bad deploy."""
    ours = new_order()
    await run(client, ours)
    theirs = new_order()
    stand_ins = StandIns()
    task_queue = f"other-version-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FraudScreenAdded],
        activities=[*stand_ins.all(), screen],
    ):
        await client.execute_workflow(
            FraudScreenAdded.run, theirs, id=workflow_id(theirs.order_id), task_queue=task_queue
        )

    query = ids_query(ours.order_id, theirs.order_id)
    result = await invoke(temporal_address, "replay", "--query", query)

    assert result.exit_code == 1, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert ["OK", workflow_id(ours.order_id), "completed"] in rows
    assert ["FAIL", workflow_id(theirs.order_id), "completed"] in rows
    assert "NondeterminismError" in result.output
    assert "1 of 2 histories failed to replay" in result.output


async def test_replay_covers_running_orders_too(
    client: Client, temporal_address: str, worker: Worker
) -> None:
    """A closed order and one still retrying its charge: both replay, each with its status."""
    closed = new_order(payment_token="tok_chargeDeclined")
    await run(client, closed)
    running = new_order()
    stand_ins = StandIns(unavailable=[ActivityName.CHARGE_PAYMENT])
    task_queue = f"running-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=task_queue, workflows=[OrderWorkflow], activities=stand_ins.all()
    ):
        handle = await client.start_workflow(
            OrderWorkflow.run, running, id=workflow_id(running.order_id), task_queue=task_queue
        )
        try:
            await poll(lambda: stand_ins.attempts[ActivityName.CHARGE_PAYMENT], what="charging")
            query = ids_query(closed.order_id, running.order_id)
            result = await invoke(temporal_address, "replay", "--query", query)
        finally:
            await handle.terminate("test over")

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert ["OK", workflow_id(closed.order_id), "completed"] in rows
    assert ["OK", workflow_id(running.order_id), "running"] in rows
    assert "replayed 2 histories: all OK" in result.output
