"""Where the committed histories live."""

from pathlib import Path

HISTORIES = Path(__file__).resolve().parent / "histories"
"""`order-<scenario>.json` recorded by `make histories`; folders hold older workflow versions."""
