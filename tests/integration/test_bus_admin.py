"""`orders dlq` and `orders events` on a real nats-server of this module's own (it purges).

What a consumer would receive is read the way the consumer reads it: a durable consumer made
from `orders.bus.consumer_config`, created for the check and deleted after it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from typer.testing import CliRunner, Result

from cli.bus.refeed import UnknownConsumer
from cli.dlq import commands as dlq_commands
from cli.dlq import dead_letters
from cli.dlq.dead_letters import UnknownDeadLetter
from cli.events import commands as events_commands
from cli.events import replay as event_replay
from cli.main import app
from orders.bus import (
    DLQ_CONSUMER,
    DLQ_DELIVERIES,
    DLQ_REASON,
    DLQ_STREAM,
    DLQ_STREAM_SEQ,
    DLQ_SUBJECT,
    MSG_ID,
    STREAM,
    consumer_config,
    dlq_subject,
)
from orders.events import (
    Customer,
    EventLine,
    EventType,
    OrderCompleted,
    OrderCompletedData,
    event_id,
    event_subject,
)
from tests.nats import running_nats
from tools.stack.processes import free_port

TRACEPARENT = f"00-{'a1' * 16}-{'b2' * 8}-01"
_stream_seqs = itertools.count(1000)


@pytest.fixture(scope="module")
async def nats_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with running_nats(tmp_path_factory.mktemp("bus-admin")) as server:
        yield server.url


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """Both streams empty and no consumers, as each test begins."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for stream in (STREAM, DLQ_STREAM):
        await js.purge_stream(stream)
        for info in await js.consumers_info(stream):
            await js.delete_consumer(stream, info.name)
    try:
        yield js
    finally:
        await nc.close()


def completed(order_id: str) -> OrderCompleted:
    now = datetime.now(UTC)
    return OrderCompleted(
        id=event_id(EventType.ORDER_COMPLETED, order_id),
        subject=order_id,
        time=now,
        correlationid=f"order-{order_id}",
        traceparent=TRACEPARENT,
        data=OrderCompletedData(
            order_id=order_id,
            customer=Customer(id="cust-42", name="Ada Lovelace", email="ada@example.com"),
            currency="USD",
            lines=[EventLine(sku="WIDGET-1", quantity=2, unit_price=2500, line_total=5000)],
            total=5000,
            placed_at=now,
            reservation_id="res_1",
            charge_id="ch_1",
            shipment_id="shp_1",
            ship_to_country="GB",
            completed_at=now,
        ),
    )


async def publish_event(js: JetStreamContext, order_id: str) -> int:
    event = completed(order_id)
    ack = await js.publish(
        event_subject(event.type, order_id),
        event.model_dump_json().encode(),
        stream=STREAM,
        headers={MSG_ID: event.id},
    )
    return ack.seq


async def dead_letter(
    js: JetStreamContext,
    consumer: str,
    order_id: str,
    *,
    payload: bytes | None = None,
    stream_seq: int | None = None,
    reason: str = "smtp: 554 [rejected]",
) -> int:
    """A dead letter as a consumer publishes it; its msg id is unique per source seq."""
    event = completed(order_id)
    stream_seq = next(_stream_seqs) if stream_seq is None else stream_seq
    headers = {
        DLQ_REASON: reason,
        DLQ_CONSUMER: consumer,
        DLQ_DELIVERIES: "5",
        DLQ_STREAM_SEQ: str(stream_seq),
        DLQ_SUBJECT: event_subject(event.type, order_id),
        MSG_ID: f"dlq:{consumer}:{stream_seq}",
    }
    body = event.model_dump_json().encode() if payload is None else payload
    ack = await js.publish(dlq_subject(consumer, order_id), body, headers=headers)
    return ack.seq


async def received(js: JetStreamContext, consumer: str) -> list[Msg]:
    """Everything the durable consumer `consumer` would be delivered from the stream now."""
    info = await js.add_consumer(STREAM, consumer_config(consumer))
    sub = await js.pull_subscribe_bind(durable=consumer, stream=STREAM)
    pending = info.num_pending or 0
    try:
        msgs: list[Msg] = []
        while len(msgs) < pending:
            msgs += await sub.fetch(pending - len(msgs), timeout=5)
        return msgs
    finally:
        await sub.unsubscribe()
        await js.delete_consumer(STREAM, consumer)


async def redeliveries(js: JetStreamContext, consumer: str) -> list[Msg]:
    return [m for m in await received(js, consumer) if m.subject.startswith("orders.redeliver.")]


def orders_of(msgs: list[Msg]) -> list[str]:
    return [json.loads(m.data)["subject"] for m in msgs]


async def test_list_reads_the_headers_and_parses_the_event(js: JetStreamContext) -> None:
    first = await dead_letter(js, "loyalty", "A-1", stream_seq=11)
    await dead_letter(js, "notification", "A/2", stream_seq=12)
    await dead_letter(js, "analytics", "A-3", payload=b"not an event", stream_seq=13)

    letters = await dead_letters.list_dead_letters(js)

    assert [(d.consumer, d.stream_seq) for d in letters] == [
        ("loyalty", 11),
        ("notification", 12),
        ("analytics", 13),
    ]
    loyalty = letters[0]
    assert loyalty.seq == first
    assert loyalty.reason == "smtp: 554 [rejected]"
    assert loyalty.deliveries == 5
    assert loyalty.subject == "orders.events.completed.A-1"
    assert loyalty.event_id == "orders.order.completed.v1:A-1"
    assert loyalty.event_type == "orders.order.completed.v1"
    assert loyalty.order_id == "A-1"
    assert loyalty.size > 0
    assert abs(loyalty.time - datetime.now(UTC)) < timedelta(minutes=1)
    assert letters[1].order_id == "A/2"  # the event's own id, not the subject token
    unparsable = letters[2]
    assert (unparsable.event_id, unparsable.event_type, unparsable.order_id) == (None, None, None)
    assert unparsable.order_token == "A-3"
    assert unparsable.size == len(b"not an event")

    only_loyalty = await dead_letters.list_dead_letters(js, consumer="loyalty")
    assert [d.seq for d in only_loyalty] == [first]
    assert [d.consumer for d in await dead_letters.list_dead_letters(js, limit=2)] == [
        "loyalty",
        "notification",
    ]
    assert await dead_letters.list_dead_letters(js, consumer="analytics", limit=1) == [letters[2]]


async def test_replaying_one_refeeds_only_its_consumer_and_removes_it(
    js: JetStreamContext,
) -> None:
    seq = await dead_letter(js, "loyalty", "B/1")
    other = await dead_letter(js, "notification", "B-2")

    subject = await dead_letters.replay_dead_letter(js, seq)

    assert subject == "orders.redeliver.loyalty.B_1"
    (refed,) = await redeliveries(js, "loyalty")
    assert refed.subject == subject
    assert orders_of([refed]) == ["B/1"]
    assert refed.headers is not None
    assert refed.headers[MSG_ID].startswith(f"redeliver:loyalty:dlq{seq}:")
    assert not any(key.startswith("Orders-Dlq-") for key in refed.headers)
    assert await redeliveries(js, "notification") == []
    assert [d.seq for d in await dead_letters.list_dead_letters(js)] == [other]

    with pytest.raises(UnknownDeadLetter, match=f"no dead letter {seq}"):
        await dead_letters.replay_dead_letter(js, seq)


async def test_replaying_all_of_one_consumer_leaves_the_others(js: JetStreamContext) -> None:
    await dead_letter(js, "loyalty", "C-1")
    await dead_letter(js, "analytics", "C-2")
    await dead_letter(js, "loyalty", "C-3")

    replayed = await dead_letters.replay_all(js, consumer="loyalty")

    assert [d.order_id for d in replayed] == ["C-1", "C-3"]
    assert orders_of(await redeliveries(js, "loyalty")) == ["C-1", "C-3"]
    assert await redeliveries(js, "analytics") == []
    assert [d.consumer for d in await dead_letters.list_dead_letters(js)] == ["analytics"]

    assert [d.order_id for d in await dead_letters.replay_all(js)] == ["C-2"]
    assert orders_of(await redeliveries(js, "analytics")) == ["C-2"]
    assert await dead_letters.list_dead_letters(js) == []


async def test_purging_one_consumer_leaves_the_others(js: JetStreamContext) -> None:
    await dead_letter(js, "loyalty", "D-1")
    kept = await dead_letter(js, "analytics", "D-2")
    await dead_letter(js, "loyalty", "D-3")

    assert await dead_letters.purge_dead_letters(js, consumer="loyalty") == 2
    assert [d.seq for d in await dead_letters.list_dead_letters(js)] == [kept]
    assert await dead_letters.purge_dead_letters(js, consumer="loyalty") == 0
    assert await dead_letters.purge_dead_letters(js) == 1
    assert await dead_letters.list_dead_letters(js) == []


async def test_events_replay_from_a_sequence_refeeds_one_consumer(js: JetStreamContext) -> None:
    await publish_event(js, "E-1")
    since = await publish_event(js, "E-2")
    await publish_event(js, "E-3")
    calls: list[tuple[int, int]] = []

    count = await event_replay.replay_events(
        js, "loyalty", since, progress=lambda done, total: calls.append((done, total))
    )

    assert count == 2
    assert calls == [(1, 2), (2, 2)]
    refed = await redeliveries(js, "loyalty")
    assert [m.subject for m in refed] == [
        "orders.redeliver.loyalty.E-2",
        "orders.redeliver.loyalty.E-3",
    ]
    assert await redeliveries(js, "notification") == []
    assert len(await received(js, "notification")) == 3  # the facts, as before

    # Again: re-fed again, never taken for a duplicate, never re-feeding the re-feeds.
    assert await event_replay.replay_events(js, "loyalty", since) == 2
    refed = await redeliveries(js, "loyalty")
    assert orders_of(refed) == ["E-2", "E-3", "E-2", "E-3"]
    assert len({m.headers[MSG_ID] for m in refed if m.headers}) == 4

    assert await event_replay.replay_events(js, "analytics", since, until=since) == 1
    assert orders_of(await redeliveries(js, "analytics")) == ["E-2"]
    assert await js.consumers_info(STREAM) == []  # its ephemeral consumer is gone


async def test_events_replay_from_a_time(js: JetStreamContext) -> None:
    await publish_event(js, "F-1")
    second = await publish_event(js, "F-2")
    await publish_event(js, "F-3")
    since = (await js.get_msg(STREAM, second)).time
    assert since is not None

    assert await event_replay.replay_events(js, "notification", since) == 2
    assert orders_of(await redeliveries(js, "notification")) == ["F-2", "F-3"]
    assert await redeliveries(js, "loyalty") == []
    assert await event_replay.replay_events(js, "loyalty", datetime.now(UTC) + timedelta(1)) == 0


async def test_unknown_consumer_or_dead_letter(js: JetStreamContext) -> None:
    with pytest.raises(UnknownConsumer, match="unknown consumer 'billing'"):
        await event_replay.replay_events(js, "billing", 1)
    with pytest.raises(UnknownConsumer):
        await dead_letters.list_dead_letters(js, consumer="billing")
    with pytest.raises(UnknownConsumer):
        await dead_letters.purge_dead_letters(js, consumer="billing")
    with pytest.raises(UnknownDeadLetter, match="no dead letter 999"):
        await dead_letters.replay_dead_letter(js, 999)


# The commands, as people run them. CliRunner runs each in a thread: it calls asyncio.run.
runner = CliRunner()


async def orders(nats_url: str, *args: str, input: str | None = None) -> Result:
    env = {"ORDERS_NATS_URL": nats_url, "COLUMNS": "200"}
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env, input=input)


async def test_dlq_list_command(js: JetStreamContext, nats_url: str) -> None:
    empty = await orders(nats_url, "dlq", "list")
    assert empty.exit_code == 0, empty.output
    assert "no dead letters" in empty.output

    seq = await dead_letter(js, "loyalty", "G-1")
    await dead_letter(js, "analytics", "G-2", payload=b"{")

    table = await orders(nats_url, "dlq", "list")
    assert table.exit_code == 0, table.output
    for text in ("loyalty", "G-1", "orders.order.completed.v1", "smtp: 554 [rejected]", "G-2"):
        assert text in table.output

    lines = await orders(nats_url, "dlq", "list", "--json", "--consumer", "loyalty")
    assert lines.exit_code == 0, lines.output
    (letter,) = [json.loads(line) for line in lines.output.splitlines()]
    assert letter["seq"] == seq
    assert letter["order_id"] == "G-1"
    assert letter["reason"] == "smtp: 554 [rejected]"
    assert datetime.fromisoformat(letter["time"]).tzinfo is not None

    unknown = await orders(nats_url, "dlq", "list", "--consumer", "billing")
    assert unknown.exit_code == 1
    assert "unknown consumer 'billing'" in unknown.output


async def test_dlq_replay_command(js: JetStreamContext, nats_url: str) -> None:
    seq = await dead_letter(js, "loyalty", "H-1")
    await dead_letter(js, "analytics", "H-2")
    await dead_letter(js, "analytics", "H-3")

    one = await orders(nats_url, "dlq", "replay", str(seq))
    assert one.exit_code == 0, one.output
    assert f"re-fed dead letter {seq} to loyalty (orders.redeliver.loyalty.H-1)" in one.output

    again = await orders(nats_url, "dlq", "replay", str(seq))
    assert again.exit_code == 1
    assert f"no dead letter {seq}" in again.output

    every = await orders(nats_url, "dlq", "replay", "--all", "--consumer", "analytics")
    assert every.exit_code == 0, every.output
    assert "re-fed 2 dead letters of analytics" in every.output
    assert orders_of(await redeliveries(js, "analytics")) == ["H-2", "H-3"]
    assert await dead_letters.list_dead_letters(js) == []

    for usage in (["dlq", "replay"], ["dlq", "replay", "1", "--all"]):
        wrong = await orders(nats_url, *usage)
        assert wrong.exit_code == 2
        assert "SEQ" in wrong.output


async def test_dlq_purge_command(
    js: JetStreamContext, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await dead_letter(js, "loyalty", "I-1")
    await dead_letter(js, "analytics", "I-2")

    refused = await orders(nats_url, "dlq", "purge")  # CliRunner's stdin is no terminal
    assert refused.exit_code == 1
    assert "--yes" in refused.output
    assert len(await dead_letters.list_dead_letters(js)) == 2

    monkeypatch.setattr(dlq_commands, "_interactive", lambda: True)
    declined = await orders(nats_url, "dlq", "purge", "--consumer", "loyalty", input="n\n")
    assert declined.exit_code == 1
    assert "delete 1 dead letter of loyalty for good?" in declined.output
    assert len(await dead_letters.list_dead_letters(js)) == 2

    confirmed = await orders(nats_url, "dlq", "purge", "--consumer", "loyalty", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "purged 1 dead letter of loyalty" in confirmed.output

    forced = await orders(nats_url, "dlq", "purge", "--yes")
    assert forced.exit_code == 0, forced.output
    assert "purged 1 dead letter" in forced.output
    assert await dead_letters.list_dead_letters(js) == []


async def test_events_replay_command(js: JetStreamContext, nats_url: str) -> None:
    await publish_event(js, "J-1")
    second = await publish_event(js, "J-2")
    since = (await js.get_msg(STREAM, second)).time
    assert since is not None

    by_seq = await orders(
        nats_url, "events", "replay", "--consumer", "loyalty", "--since", str(second)
    )
    assert by_seq.exit_code == 0, by_seq.output
    assert "re-fed 1 event to loyalty" in by_seq.output

    by_time = await orders(
        nats_url, "events", "replay", "--consumer", "analytics", "--since", since.isoformat()
    )
    assert by_time.exit_code == 0, by_time.output
    assert "re-fed 1 event to analytics" in by_time.output

    recent = await orders(
        nats_url, "events", "replay", "--consumer", "notification", "--since", "1h"
    )
    assert recent.exit_code == 0, recent.output
    assert "re-fed 2 events to notification" in recent.output
    assert orders_of(await redeliveries(js, "notification")) == ["J-1", "J-2"]
    assert orders_of(await redeliveries(js, "loyalty")) == ["J-2"]

    unknown = await orders(nats_url, "events", "replay", "--consumer", "billing", "--since", "1")
    assert unknown.exit_code == 1
    assert "unknown consumer 'billing'" in unknown.output

    bad = await orders(nats_url, "events", "replay", "--consumer", "loyalty", "--since", "soon")
    assert bad.exit_code == 2
    assert "--since" in bad.output


async def test_commands_say_when_nats_is_unreachable() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    for args in (["dlq", "list"], ["dlq", "purge", "--yes"], ["dlq", "replay", "--all"]):
        result = await orders(url, *args)
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (
            f"error: cannot reach NATS at {url}: is `make dev` running?"
        )


def test_points_in_the_stream() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert events_commands.parse_point("42", now=now) == 42
    assert events_commands.parse_point("90m", now=now) == now - timedelta(minutes=90)
    assert events_commands.parse_point("2d", now=now) == now - timedelta(days=2)
    assert events_commands.parse_point("2026-04-30T08:00:00+02:00", now=now) == datetime(
        2026, 4, 30, 6, 0, tzinfo=UTC
    )
    naive = events_commands.parse_point("2026-04-30T08:00", now=now)
    assert isinstance(naive, datetime)
    assert naive.tzinfo is not None  # local time
    for wrong in ("0", "soon", "-1h"):
        with pytest.raises(ValueError):
            events_commands.parse_point(wrong, now=now)
