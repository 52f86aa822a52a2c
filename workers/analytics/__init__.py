"""The analytics consumer: units and revenue per SKU per UTC day, and order outcomes per day.

`OrderCompleted` adds its lines to `daily_sku` on the UTC day of `completed_at` and counts one
`completed` outcome; `OrderFailed` and `OrderCancelled` count one `failed` or `cancelled`
outcome on the day of `failed_at` or `cancelled_at`. The counters and the event id commit
together, so each order is counted once however often its event is delivered.
"""
