"""Write (or check) the committed JSON Schemas of the events: `python -m orders.schemas [--check]`.

The schemas under `schemas/events/` are the contract consumers in any language build on; they
are generated from the models in `orders.events`, and a test fails when the two disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orders.events import json_schemas

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "events"


def rendered() -> dict[str, str]:
    """File name → content, for every event type."""
    return {
        f"{event_type}.json": json.dumps(schema, indent=2, sort_keys=True) + "\n"
        for event_type, schema in json_schemas().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, content in rendered().items():
        path: Path = args.dir / name
        if args.check:
            if not path.exists() or path.read_text() != content:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    if stale:
        sys.stderr.write(f"stale event schemas: {', '.join(stale)}; run `make schemas`\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
