"""The worker's bytecode warm-up: a sandboxed per-run import of a workflow compiles nothing."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

from workers.tuning import write_workflow_bytecode

WORKFLOW_SOURCE = """
from temporalio import workflow


@workflow.defn
class Tiny:
    @workflow.run
    async def run(self) -> int:
        return 1
"""


@pytest.fixture
def workflow_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A workflow module imported the way the worker runs here: without writing bytecode."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "tiny_workflow.py").write_text(WORKFLOW_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("tiny_workflow")
    yield module
    sys.modules.pop("tiny_workflow", None)


def compiles(loader: SourceFileLoader, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times loading the module's code compiles its source."""
    calls = 0
    compile_source = SourceFileLoader.source_to_code

    def counting(self: SourceFileLoader, *args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return compile_source(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SourceFileLoader, "source_to_code", counting)
    loader.get_code(loader.name)
    monkeypatch.setattr(SourceFileLoader, "source_to_code", compile_source)
    return calls


def test_a_workflow_module_without_bytecode_is_compiled_at_every_import(
    workflow_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = workflow_module.__loader__
    assert isinstance(loader, SourceFileLoader)
    assert not Path(importlib.util.cache_from_source(loader.path)).exists()
    assert compiles(loader, monkeypatch) == 1


def test_written_bytecode_is_loaded_instead_of_compiling(
    workflow_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert write_workflow_bytecode([workflow_module.Tiny]) == []
    loader = workflow_module.__loader__
    assert isinstance(loader, SourceFileLoader)
    assert Path(importlib.util.cache_from_source(loader.path)).exists()
    assert compiles(loader, monkeypatch) == 0


def test_stale_bytecode_is_rewritten(
    workflow_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_workflow_bytecode([workflow_module.Tiny])
    source = Path(workflow_module.__file__ or "")
    source.write_text(WORKFLOW_SOURCE + "\nCHANGED = True\n")
    later = source.stat().st_mtime + 5
    os.utime(source, (later, later))
    loader = workflow_module.__loader__
    assert isinstance(loader, SourceFileLoader)
    assert compiles(loader, monkeypatch) == 1
    write_workflow_bytecode([workflow_module.Tiny])
    assert compiles(loader, monkeypatch) == 0


def test_an_unwritable_cache_is_reported_not_raised(
    workflow_module: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A cache directory that cannot be made, even by root: its parent is a file.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setattr(sys, "pycache_prefix", str(blocker))
    unwritten = write_workflow_bytecode([workflow_module.Tiny])
    assert unwritten == [workflow_module.__file__]
    assert "could not write the bytecode" in caplog.text


def test_the_order_workflow_module_gets_its_bytecode() -> None:
    from workflows.order import OrderWorkflow

    assert write_workflow_bytecode([OrderWorkflow]) == []
    module_file = sys.modules[OrderWorkflow.__module__].__file__
    assert module_file is not None
    assert Path(importlib.util.cache_from_source(module_file)).exists()
