"""The side-effect consumer framework: one durable JetStream consumer, one database, one handler.

```
ORDER_EVENTS ─fetch─▶ ConsumerRunner ─▶ Delivery.process(msg)
                      (loop, stop)       not a valid event ─────────────────▶ dead letter, ack
                                         id in processed_events ────────────▶ ack (duplicate)
                                           (looked up first only for an effect outside the
                                           database, or past max_attempts)
                                         handler.effect(event)       outside the database
                                         handler.record + processed_events, one commit ─▶ ack
                                           (id found there: nothing written ─▶ ack, duplicate)
                                         transient error, n < max_attempts ─▶ nak(delay)
                                                          n = max_attempts ─▶ dead letter, ack
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
