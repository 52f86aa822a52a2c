"""`python -m tests.integration.consumer_process <name>`: a consumer's own process, as
`python -m workers.<name>` runs it, but with the JetStream ack wait the test asks for
(`TEST_ACK_WAIT_SECONDS`): its binding provisions the consumer with that, as the test's own
replicas do, rather than put back the 30 s of `orders.bus`."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import timedelta

import orders.bus


def main() -> None:
    orders.bus.ACK_WAIT = timedelta(seconds=float(os.environ["TEST_ACK_WAIT_SECONDS"]))
    importlib.import_module(f"workers.{sys.argv[1]}.__main__").main()


if __name__ == "__main__":
    main()
