"""`python -m tools.smtp_sink` (or `orders-smtp-sink`): run the SMTP sink until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from orders.logs import configure_logging
from tools.smtp_sink.settings import SmtpSinkSettings
from tools.smtp_sink.sink import SmtpSink

logger = logging.getLogger("tools.smtp_sink")


async def serve(settings: SmtpSinkSettings) -> None:
    sink = SmtpSink(settings.maildir, settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await sink.start()
    try:
        await stop.wait()
    finally:
        await sink.stop()
        logger.info("SMTP sink stopped")


def main() -> None:
    """Listen on SMTP_SINK_HOST:SMTP_SINK_PORT, file mail into SMTP_SINK_MAILDIR."""
    settings = SmtpSinkSettings()
    configure_logging(settings.log_level.upper())
    if settings.log_level != "debug":
        # aiosmtpd logs every SMTP command at INFO; our handler logs one line per message.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(settings))
    except OSError as exc:  # the port is taken, most likely
        logger.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc.strerror)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
