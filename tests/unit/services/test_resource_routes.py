"""The record routes built from each participant's `Resource` read as if written out by hand:
their paths, operation ids, summaries and descriptions, and the problems they may answer."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import APPS

# service -> (kind, undo verb, create's problems)
RECORDS = {
    "inventory": ("reservation", "release", ["409", "422", "503"]),
    "payment": ("charge", "refund", ["402", "422", "503"]),
    "shipping": ("shipment", "cancel", ["422", "503"]),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_routes_are_named_and_documented(name: str) -> None:
    kind, verb, create_problems = RECORDS[name]
    paths: dict[str, Any] = APPS[name]("sqlite+aiosqlite://").openapi()["paths"]
    item = f"/{kind}s/{{{kind}_id}}"

    operations = {
        ("post", f"/{kind}s"): f"create_{kind}",
        ("post", f"{item}/{verb}"): f"{verb}_{kind}",
        ("get", f"/{kind}s"): f"list_{kind}s",
        ("get", item): f"get_{kind}",
    }
    for (method, path), name_of in operations.items():
        operation = paths[path][method]
        assert operation["summary"] == name_of.replace("_", " ").title()
        assert operation["operationId"].startswith(f"{name_of}_")
        assert operation["description"].endswith(".")
        assert operation["tags"] == [name]
    problems = {
        operation: sorted(code for code in paths[path][method]["responses"] if code >= "400")
        for (method, path), operation in operations.items()
    }
    assert problems[f"create_{kind}"] == create_problems
    assert problems[f"{verb}_{kind}"] == ["404", "422", "503"]  # 422: a bad Idempotency-Key
    assert problems[f"get_{kind}"] == ["404", "422"]
    assert paths[f"{item}/{verb}"]["post"]["parameters"][0]["name"] == f"{kind}_id"
