"""Sending one email with the standard library's SMTP client, in a worker thread."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from workers.consumer.handler import PermanentFailure

LOCAL_HOSTNAME = "hybrid-orders.localhost"  # for EHLO: skips a slow reverse lookup of our name


class SmtpSender:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        """Send `message`; raise `PermanentFailure` when the server refuses it for good.

        Connection errors, timeouts and 4xx answers propagate as they are: transient.
        """
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipients refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                reason = f"message refused: {exc.smtp_code} {exc.smtp_error!r}"
                raise PermanentFailure(reason) from exc
            raise

    async def probe(self) -> None:
        """Connect and say NOOP: raise unless the server answers 250 (the breaker's probe)."""
        await asyncio.to_thread(self._probe)

    def _probe(self) -> None:
        with smtplib.SMTP(
            self.host, self.port, timeout=self.timeout, local_hostname=LOCAL_HOSTNAME
        ) as smtp:
            code, reply = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, reply)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(
            self.host, self.port, timeout=self.timeout, local_hostname=LOCAL_HOSTNAME
        ) as smtp:
            smtp.send_message(message)
