"""The notification consumer: one email per order event, over SMTP.

`OrderCompleted` → "Your order <id> is confirmed" (lines, total, carrier and tracking number);
`OrderFailed` → "We could not complete your order <id>" (a reason a customer understands);
`OrderCancelled` → "Your order <id> is cancelled". Each goes to the customer's address, or to
`<customer id>@customers.example.com` when the order carries none.

SMTP is not transactional, so the email is sent first and then recorded (the `notifications`
row and the `processed_events` row, in one transaction). A crash, or a failed commit, between
the send and the record leaves the event unacknowledged: JetStream redelivers it and the email
is sent a second time. That is the only duplicate possible, and it is recognisable: the
`Message-ID` is derived from the event id (`<sha256(event id)[:32]@hybrid-orders>`), the same
on every send, so a mail server or client that deduplicates by Message-ID shows it once.

A refused connection, a timeout or a 4xx answer is transient (retried with backoff, then
dead-lettered); a 5xx refusal of the recipients or of the message is permanent (dead-lettered
at once); any other 5xx (our sender, authentication) is a configuration fault, so retried.
"""
