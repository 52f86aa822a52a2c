"""`orders` imports a command's module only to run it: its summary in `orders --help` is the
command's own, and the commands people run most bring in neither Temporal nor NATS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.core import TyperGroup

from cli.main import COMMANDS, load


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_loads_and_its_summary_is_its_own(name: str) -> None:
    command = load(name)
    assert command.name == name
    own = (command.help or "").strip().splitlines()[0]
    assert own == COMMANDS[name][1]


PROBE = """
import json, sys
from cli.main import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("argv", [["--help"], ["status", "--help"], ["place", "--help"]])
def test_the_quick_commands_import_neither_temporal_nor_nats(
    argv: list[str], tmp_path: Path
) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=tmp_path
    )
    loaded = set(json.loads(probe.stdout.splitlines()[-1]))
    assert "typer" in loaded
    assert not loaded & {"temporalio", "nats", "workflows"}, sorted(loaded & {"temporalio", "nats"})


def test_an_unknown_command_is_a_usage_error() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["nope"])
    assert result.exit_code == 2 and "No such command" in result.output
    assert isinstance(load("keys"), TyperGroup)
