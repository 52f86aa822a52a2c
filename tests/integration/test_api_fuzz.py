"""Bad input against the API on a real Temporal: schemathesis over its OpenAPI document,
arbitrary JSON, and bodies too large. Never a 5xx; every 4xx an RFC 9457 problem."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth.settings import AuthSettings
from api.main import create_app
from orders.problems import PROBLEM_MEDIA_TYPE
from orders.settings import Settings
from tests.integration.orders import poll
from tests.tokens import bearer
from tools.stack.processes import free_port

FUZZ = settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
MAX_BODY = 4096
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@pytest.fixture(scope="module")
async def served(
    client: Client, settings: Settings, auth_settings: AuthSettings, worker: Worker
) -> AsyncIterator[str]:
    """The API on a real port, in the session's loop, so that synchronous clients (schemathesis
    runs on `requests`) can call it from a thread. Waits are short, bodies small."""
    app = create_app(
        settings.model_copy(update={"api_max_wait_seconds": 0.5, "api_max_body_bytes": MAX_BODY}),
        client=client,
        auth=auth_settings,
    )
    port = free_port()
    # log_config=None: uvicorn's own would stop its loggers propagating, for every later test.
    server = uvicorn.Server(uvicorn.Config(app, port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    await poll(lambda: server.started, what="the API listening", within=15)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def assert_no_5xx_and_problems(status: int, content_type: str, what: str) -> None:
    assert status < 500, f"{status} for {what}"
    if status >= 400:
        assert content_type.startswith(PROBLEM_MEDIA_TYPE), f"{status} {content_type} for {what}"


async def in_thread(check: Callable[[], None]) -> None:
    await asyncio.to_thread(check)


async def test_schemathesis_finds_no_5xx_and_only_problem_bodies(
    served: str, operator_key: str
) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        document = (await http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    calls: list[str] = []

    def run_all() -> None:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result.err()  # the document itself is valid
            operation = result.ok()

            @FUZZ
            @given(case=operation.as_strategy())
            def check(case: Any) -> None:
                response = case.call(base_url=served, timeout=15, headers=bearer(operator_key))
                what = f"{case.method} {case.formatted_path} {case.body!r}"[:500]
                calls.append(what)
                content_type = response.headers.get("content-type", [""])  # a list: every value
                assert_no_5xx_and_problems(response.status_code, content_type[0], what)

            check()

    await in_thread(run_all)
    assert len(calls) >= 5  # every operation was exercised


async def test_arbitrary_json_to_post_orders_is_a_4xx_problem(
    served: str, operator_key: str
) -> None:
    def run() -> None:
        with httpx.Client(base_url=served, timeout=15, headers=bearer(operator_key)) as http:

            @FUZZ
            @given(json_values)
            def check(value: Any) -> None:
                response = http.post("/orders", json=value)
                assert_no_5xx_and_problems(
                    response.status_code, response.headers.get("content-type", ""), repr(value)
                )

            check()

    await in_thread(run)


async def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(
    served: str, operator_key: str
) -> None:
    big = b'{"customer_id": "' + b"x" * MAX_BODY + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    async with httpx.AsyncClient(base_url=served, timeout=15, headers=bearer(operator_key)) as http:
        declared = await http.post(
            "/orders", content=big, headers={"content-type": "application/json"}
        )
        streamed = await http.post(
            "/orders", content=chunks(), headers={"content-type": "application/json"}
        )
        small = await http.post("/orders", json={"customer_id": "x"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        assert response.json()["code"] == "body_too_large"
    assert small.status_code == 422
