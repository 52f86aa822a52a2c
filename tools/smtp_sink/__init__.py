"""A local SMTP server that keeps every message it receives in a Maildir.

Stands in for a mail server in `orders dev` and the tests: `python -m tools.smtp_sink`
(or `orders-smtp-sink`) listens on `SMTP_SINK_HOST:SMTP_SINK_PORT` (127.0.0.1:1025) and writes
each message to `SMTP_SINK_MAILDIR` (`.data/mail`), which any mail client or
`mailbox.Maildir` can read. It relays nothing.
"""
