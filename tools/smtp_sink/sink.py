"""The sink: aiosmtpd's SMTP protocol on an asyncio server, a handler that files into a Maildir."""

from __future__ import annotations

import asyncio
import logging
import mailbox
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)

HOSTNAME = "smtp-sink.hybrid-orders"  # our EHLO name; skips a slow lookup of the machine's own


class MaildirHandler:
    """aiosmtpd handler: each message goes to the Maildir, with its envelope in two headers."""

    def __init__(self, maildir: Path) -> None:
        self.mailbox = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        envelope_headers = (
            f"Return-Path: <{envelope.mail_from or ''}>\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        data = envelope_headers + content
        key = await asyncio.to_thread(self.mailbox.add, data)
        subject = message_from_bytes(content, policy=default).get("Subject", "")
        logger.info("mail %s to %s: %s", key, ", ".join(envelope.rcpt_tos), subject)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on `host:port` in the running event loop, filing mail into `maildir`."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        handler = MaildirHandler(self.maildir)
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname=HOSTNAME, loop=loop), self.host, self.port
        )
        if self.port == 0:
            self.port = int(self._server.sockets[0].getsockname()[1])
        logger.info("SMTP sink on %s:%d, mail to %s", self.host, self.port, self.maildir)

    async def stop(self) -> None:
        """Stop accepting connections (a message being received still completes)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None
