"""The side-effect consumer framework: one durable JetStream consumer, one database, one handler.

```
ORDER_EVENTS ─fetch─▶ ConsumerRunner ─▶ Delivery.process(msg)
                      (loop, stop;       not a valid event ─────────────────▶ dead letter, ack
                       KeepAlive:        id in processed_events ────────────▶ ack (duplicate)
                       in_progress for     (looked up first only for an effect outside the
                       the batch's rest;   database, or on the server's last delivery)
                       Breaker: no fetch handler.effect(event)       outside the database
                       while the         handler.record + processed_events, one commit ─▶ ack
                       dependency is       (id found there: nothing written ─▶ ack, duplicate)
                       down)             message failure, n < max_attempts ─▶ nak(delay)
                                                          n = max_attempts ─▶ dead letter, ack
                                         dependency failure, younger than max_retry_seconds
                                           ─▶ nak(delay), counted by the breaker
                                                          older ─▶ dead letter, ack
                                         PermanentFailure ──────────────────▶ dead letter, ack
```

With `batch_commit` (loyalty, analytics: database-only effects) the runner first hands the fetched
batch to `BatchCommit` (`workers.consumer.batch`): the batch's records and ids in one commit,
then one acknowledgement each; if that transaction fails, every message goes the way above.

A message is acknowledged only after its effect is committed (or its dead letter published),
so a crash loses nothing: JetStream redelivers it, and the `processed_events` row written in the
effect's own transaction makes the second application a no-op.
"""

from workers.consumer.handler import Event, Handler, PermanentFailure, TransactionalHandler
from workers.consumer.settings import ConsumerSettings, RetryPolicy

__all__ = [
    "ConsumerSettings",
    "Event",
    "Handler",
    "PermanentFailure",
    "RetryPolicy",
    "TransactionalHandler",
]
