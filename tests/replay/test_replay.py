"""Every committed history replays against the current `OrderWorkflow`; careless changes do not.

The histories under `histories/` were recorded from real runs (`make histories`); those in its
folders were recorded by older versions of the workflow and stay until no order of that version
can be running. A change that fails here would break orders in flight: make it behind
`workflow.patched` (see docs/changing-the-workflow.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.workflow import NondeterminismError

from cli.history import histories
from cli.history.replaying import ReplayOutcome, replay, replayer
from tests.replay.committed import HISTORIES
from tests.replay.variants import (
    FraudScreenAdded,
    UndoInStepOrder,
    UnpatchedOperatorWait,
    UnpatchedPublish,
)
from workflows.order import (
    FAILURE_OUTLIVES_CANCEL,
    OPERATOR_FINISHES_COMPENSATION,
    PUBLISH_ON_COMPENSATION_FAILED,
    SAGA_SCOPED_KEYS,
)

FILES = histories.history_files(HISTORIES)
BEFORE_PATCH = HISTORIES / "before-publish-on-compensation-failed"
BEFORE_SAGAS = HISTORIES / "before-saga-scoped-keys"


def history(name: str) -> WorkflowHistory:
    return histories.read(HISTORIES / name)


def name_of(path: Path) -> str:
    return str(path.relative_to(HISTORIES).with_suffix(""))


def test_the_committed_set_covers_every_scenario() -> None:
    names = {name_of(path) for path in FILES}
    assert {
        "order-happy",
        "order-out-of-stock",
        "order-declined",
        "order-undeliverable",
        "order-cancel-in-flight",
        "order-temporal-cancel-in-flight",
        "order-transient-faults",
        "order-compensation-retries",
        "order-compensation-failed",
        "order-compensation-retried",
        "order-temporal-cancel-while-compensating",
        "order-wait-runs-out",
        "before-publish-on-compensation-failed/order-compensation-failed",
        "before-saga-scoped-keys/order-compensation-failed",
        "before-saga-scoped-keys/order-happy",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=name_of)
async def test_a_committed_history_replays(path: Path) -> None:
    await replayer().replay_workflow(histories.read(path))


def _patches(recorded: WorkflowHistory) -> list[str]:
    """The ids of the patches whose markers a history records."""
    return [
        json.loads(payload.data)["id"]
        for event in recorded.events
        if event.HasField("marker_recorded_event_attributes")
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    ]


def _activities(recorded: WorkflowHistory) -> list[str]:
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in recorded.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]


def test_before_and_after_the_patch_differ_as_the_patch_says() -> None:
    """The old history published nothing and has no marker; the newer ones have both."""
    before = histories.read(BEFORE_PATCH / "order-compensation-failed.json")
    assert _patches(before) == []
    assert "publish_event" not in _activities(before)
    for after in (
        BEFORE_SAGAS / "order-compensation-failed.json",
        HISTORIES / "order-compensation-failed.json",
    ):
        recorded = histories.read(after)
        assert PUBLISH_ON_COMPENSATION_FAILED in _patches(recorded)
        assert "publish_event" in _activities(recorded)


def test_each_patch_of_the_order_protocol_is_in_the_histories_it_changes() -> None:
    """Recorded since the patches: each history bears the markers of the paths it took."""
    assert _patches(history("order-happy.json")) == [SAGA_SCOPED_KEYS]
    assert _patches(history("order-temporal-cancel-while-compensating.json")) == [
        SAGA_SCOPED_KEYS,
        FAILURE_OUTLIVES_CANCEL,
    ]
    for name in ("order-compensation-failed.json", "order-compensation-retried.json"):
        assert _patches(history(name)) == [
            SAGA_SCOPED_KEYS,
            PUBLISH_ON_COMPENSATION_FAILED,
            OPERATOR_FINISHES_COMPENSATION,
        ]
    for old in histories.history_files(BEFORE_SAGAS):
        assert SAGA_SCOPED_KEYS not in _patches(histories.read(old))


async def _nondeterminism(variant: type, recorded: WorkflowHistory) -> str:
    with pytest.raises(NondeterminismError) as caught:
        await replayer([variant]).replay_workflow(recorded)
    return str(caught.value)


async def test_a_step_added_without_a_patch_fails_replay_at_the_event_it_displaces() -> None:
    recorded = history("order-undeliverable.json")
    message = await _nondeterminism(FraudScreenAdded, recorded)

    found = re.search(r"HistoryEvent\(id: (\d+), (\w+)\)", message)
    assert found is not None, message
    event_id, event_type = int(found[1]), found[2]
    # The history upserted the status and then scheduled the charge where the new code
    # schedules its fraud screen instead: replay stops at that very event.
    event = recorded.events[event_id - 1]
    assert event_type == "UpsertWorkflowSearchAttributes"
    assert event.event_type is EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    following = recorded.events[event_id].activity_task_scheduled_event_attributes
    assert following.activity_type.name == "charge_payment"


async def test_undos_reordered_without_a_patch_fail_replay_naming_both_activities() -> None:
    message = await _nondeterminism(UndoInStepOrder, history("order-undeliverable.json"))
    assert (
        "Activity type of scheduled event 'cancel_shipment' does not match "
        "activity type of activity command 'release_inventory'"
    ) in message


async def test_the_improvement_without_its_patch_would_break_orders_settled_before_it() -> None:
    before = histories.read(BEFORE_PATCH / "order-compensation-failed.json")
    message = await _nondeterminism(UnpatchedPublish, before)
    # The old run completed where the new code schedules the publish; with the patch, both
    # the old run and the new one replay (test_a_committed_history_replays).
    last = before.events[-1]
    assert last.event_type is EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert f"HistoryEvent(id: {last.event_id}, WorkflowExecutionCompleted)" in message


async def test_the_operators_wait_without_its_patch_would_break_orders_settled_before_it() -> None:
    before = histories.read(BEFORE_SAGAS / "order-compensation-failed.json")
    message = await _nondeterminism(UnpatchedOperatorWait, before)
    last = before.events[-1]
    assert last.event_type is EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert "WorkflowExecutionCompleted" in message, message


async def _all(paths: list[Path]) -> AsyncIterator[WorkflowHistory]:
    for path in paths:
        yield histories.read(path)


async def test_the_committed_set_catches_each_careless_change() -> None:
    for variant in (FraudScreenAdded, UndoInStepOrder):
        outcomes: list[ReplayOutcome] = [o async for o in replay(_all(FILES), [variant])]
        failed = [outcome for outcome in outcomes if not outcome.ok]
        assert failed, f"no committed history reaches what {variant.__name__} changes"
        assert all("NondeterminismError" in (o.error or "") for o in failed)


def _input_encoding(recorded: WorkflowHistory) -> bytes:
    started = recorded.events[0].workflow_execution_started_event_attributes
    return bytes(started.input.payloads[0].metadata["encoding"])


def test_the_histories_are_encrypted_but_the_one_recorded_before_encryption() -> None:
    """Recorded with the test key (tests/codec_keys.py); the older one replays in plaintext."""
    for path in FILES:
        expected = b"json/plain" if BEFORE_PATCH in path.parents else b"binary/encrypted"
        assert _input_encoding(histories.read(path)) == expected, name_of(path)
