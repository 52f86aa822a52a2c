"""The notification consumer: one email per order event, over SMTP.

`OrderCompleted` → "Your order <id> is confirmed" (lines, total, carrier and tracking number);
`OrderFailed` → "We could not complete your order <id>" (a reason a customer understands);
`OrderCancelled` → "Your order <id> is cancelled". Each goes to the customer's address, or to
`<customer id>@customers.example.com` when the order carries none.

SMTP is not transactional, so each send is bracketed by a send intent (`intents`): committed
before the send, marked sent once the server accepted the email, and only then the record (the
`notifications` row and the `processed_events` row, in one transaction). A record that fails is
retried without sending again. A crash, or a lost database, between the server's acceptance and
the mark is the one way to a second send, and it is recognisable: the `Message-ID` is derived
from the event id (`<sha256(event id)[:32]@hybrid-orders>`), the same on every send, so a mail
server or client that deduplicates by Message-ID shows it once.

A refused connection, a timeout or a 4xx answer is the mail server being down (retried for
hours, the circuit breaker probing it with NOOP); a 5xx refusal of the recipients or of the
message is permanent (dead-lettered at once); any other 5xx (our sender, authentication) is a
configuration fault, so waited out like an outage.
"""
