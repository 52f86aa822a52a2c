"""Record the committed histories from real runs: `make histories`.

`python -m tests.replay.generate [SCENARIO ...] [--out DIR]` starts a fresh local stack in a
temporary directory (see `tests.replay.stack`), drives one order through each scenario (see
`tests.replay.scenarios`), writes each history to `tests/replay/histories/order-<scenario>.json`,
and stops everything. Run it after a workflow change, once the change replays against the
histories it replaces.

Folders under `histories/` hold histories recorded by older versions of the workflow, kept while
a patch still needs them (see docs/changing-the-workflow.md); this never touches them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from cli.history import histories
from tests.codec_keys import use_test_keys
from tests.replay.committed import HISTORIES
from tests.replay.scenarios import SCENARIOS
from tests.replay.stack import local_stack

log = logging.getLogger("histories")


async def generate(out: Path, names: list[str]) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory(prefix="histories-") as data:
        log.info("starting a fresh stack in %s", data)
        async with local_stack(Path(data)) as stack:
            for name in names:
                handle = await SCENARIOS[name](stack)
                outcome = (await handle.result()).status
                history = await handle.fetch_history()
                path = histories.write(history, out)
                written.append(path)
                log.info("%-26s %-20s %s", name, outcome, path)
                await stack.participants.reset_faults()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: all of {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--out", type=Path, default=HISTORIES, help="default: %(default)s")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    logging.basicConfig(level=logging.INFO, format="%(name)s | %(message)s", stream=sys.stdout)
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    names = args.scenarios or list(SCENARIOS)
    use_test_keys()  # the histories are encrypted with the test key, so the suite replays them
    asyncio.run(generate(args.out, names))
    log.info("%d histories written; check them with `pytest tests/replay`", len(names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
