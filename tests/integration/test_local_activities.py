"""Participant calls as local activities: the same saga, fewer server round trips, and histories
that replay the way they ran whatever the setting is now."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from cli.history.replaying import replayer
from orders.models import OrderStatus, Outcome
from tests.integration.orders import run
from tests.integration.participants import Participants, new_order

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_local_activity_order_completes_and_replays(
    client: Client, participants: Participants
) -> None:
    order = new_order().model_copy(update={"local_activities": True})
    result = await run(client, order)

    assert result.status is OrderStatus.COMPLETED
    assert [step.outcome for step in result.steps] == [Outcome.SUCCEEDED] * 3
    assert [c["status"] for c in await participants.records("payment", order.order_id)] == [
        "captured"
    ]
    history = await client.get_workflow_handle(f"order-{order.order_id}").fetch_history()
    kinds = [event.event_type for event in history.events]
    markers = [
        event.marker_recorded_event_attributes.marker_name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    assert markers.count("core_local_activity") == 3  # one per participant call
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1  # the publish
    await replayer().replay_workflow(history)
