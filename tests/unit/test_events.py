"""The event contract: committed schemas match the models, and old events still parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from orders import schemas
from orders.events import (
    EventType,
    OrderCompleted,
    event_subject,
    json_schemas,
    parse_event,
    subject_token,
)

SAMPLES = Path(__file__).parent / "fixtures" / "events"


def test_committed_schemas_match_the_models() -> None:
    """Fails when a model change is not reflected in schemas/events/: run `make schemas`."""
    assert schemas.main(["--check"]) == 0
    for event_type in EventType:
        committed = json.loads((schemas.SCHEMA_DIR / f"{event_type.value}.json").read_text())
        assert committed == json_schemas()[event_type.value]
        assert committed["$id"].endswith(event_type.value)


def test_a_stale_schema_is_detected(tmp_path: Path) -> None:
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    stale = tmp_path / "orders.order.completed.v1.json"
    stale.write_text(stale.read_text().replace('"ship_to_country"', '"destination"'))
    assert schemas.main(["--dir", str(tmp_path), "--check"]) == 1


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_events_written_by_the_first_version_still_parse(sample: Path) -> None:
    """The samples are v1 events as first published: a new required field breaks this test."""
    event = parse_event(sample.read_bytes())
    assert event.type.value == sample.stem
    assert event.subject == event.data.order_id


def test_unknown_fields_are_ignored() -> None:
    raw = json.loads((SAMPLES / "orders.order.completed.v1.json").read_text())
    raw["newextension"] = "from a newer producer"
    raw["data"]["gift_wrap"] = True
    raw["data"]["customer"]["tier"] = "gold"
    event = parse_event(json.dumps(raw))
    assert isinstance(event, OrderCompleted)
    assert event.data.total == 7500


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        json.dumps({"type": "orders.order.shipped.v1"}).encode(),
        (SAMPLES / "orders.order.completed.v1.json").read_bytes().replace(b'"00-', b'"zz-'),
    ],
    ids=["not-json", "empty", "unknown-type", "bad-traceparent"],
)
def test_what_is_not_an_event_is_rejected(payload: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_event(payload)


def test_subjects_carry_the_kind_and_a_safe_order_token() -> None:
    assert event_subject(EventType.ORDER_FAILED, "A-1") == "orders.events.failed.A-1"
    assert subject_token("a.b*c> d") == "a_b_c__d"
