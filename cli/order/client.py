"""HTTP clients of the CLI: the orders API, and a participant service's fault routes.

The API client answers the API's JSON as plain dicts. Both raise only the CLI's errors
(`cli.errors`), which the commands turn into a one-line message and an exit code.

`place` and `cancel` try a request again, with the same `Idempotency-Key`, when its answer was
lost or the API answered 503 with `Retry-After`: retrying either is safe.

Every client takes an optional `httpx` transport, so tests drive them with `MockTransport`.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Self
from urllib.parse import quote

import httpx

from cli.credentials import API_KEY_HINT, SERVICE_TOKEN_HINT, bearer
from cli.errors import ApiError, MaybeLanded, Unreachable

CALL_TIMEOUT_SECONDS = 10.0
"""One call; `place` with `wait` gets that much longer."""
ATTEMPTS = 3
"""Tries of a request that may have landed (a timeout, a cut connection) or that the API asked to
retry (503 with `Retry-After`): safe, as `place` sends one `Idempotency-Key` on all of them."""
MAX_RETRY_AFTER_SECONDS = 5.0


class _Http:
    """One `httpx.AsyncClient` to one server, mapping transport faults and non-2xx to errors.

    `token` is sent as a bearer token; a 401 or 403 says, in `hint`, what to set.
    """

    what = "the server"
    hint = ""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=CALL_TIMEOUT_SECONDS,
            headers=bearer(token),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unreachable(
                f"cannot reach {self.what} at {self.base_url}: is `make dev` running?"
            ) from exc
        except httpx.TransportError as exc:
            raise MaybeLanded(
                f"{self.what} at {self.base_url} did not answer {method} {path}: "
                f"{type(exc).__name__}"
            ) from exc
        if response.status_code in (401, 403) and self.hint:
            error = ApiError.from_response(response)
            if error.code in ("unauthorized", "insufficient_scope", "http_401", "http_403"):
                error.detail = f"{self.what} refused the credentials ({error.detail}): {self.hint}"
                error.errors = []
            raise error
        if response.is_error:
            raise ApiError.from_response(response)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(response.status_code, "bad_response", f"{path} did not answer JSON")
        return body


class ApiClient(_Http):
    """The orders API: place, read and cancel orders."""

    what = "the API"
    hint = API_KEY_HINT

    async def place(
        self, body: dict[str, Any], *, wait: float | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """POST /orders; with `wait`, the order as it stands when it settled or `wait` ran out.

        Sent with an `Idempotency-Key` (`key`, or a new one), tried again with the same key when
        the answer was lost or the API asked to retry: one order, however many tries.
        """
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        if not wait:
            return await self._retried("POST", "/orders", json=body, headers=headers)
        return await self._retried(
            "POST",
            "/orders",
            json=body,
            headers=headers,
            params={"wait": wait},
            timeout=CALL_TIMEOUT_SECONDS + wait,
        )

    async def _retried(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await self.json(method, path, **kwargs)
            except MaybeLanded:
                if attempt == ATTEMPTS:
                    raise
                delay = 0.5 * attempt
            except ApiError as exc:
                if exc.status != 503 or exc.retry_after is None or attempt == ATTEMPTS:
                    raise
                delay = min(exc.retry_after, MAX_RETRY_AFTER_SECONDS)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    async def get(self, order_id: str) -> dict[str, Any]:
        return await self.json("GET", f"/orders/{quote(order_id, safe='')}")

    async def cancel(self, order_id: str, reason: str | None = None) -> dict[str, Any]:
        """POST /orders/{id}/cancel, tried again like `place`: every cancel of an order is one."""
        body = {} if reason is None else {"reason": reason}
        return await self._retried("POST", f"/orders/{quote(order_id, safe='')}/cancel", json=body)

    async def finish(self, order_id: str, action: str, note: str) -> dict[str, Any]:
        """POST /orders/{id}/finish: not tried again, as a finish moves the order on."""
        return await self.json(
            "POST",
            f"/orders/{quote(order_id, safe='')}/finish",
            json={"action": action, "note": note},
        )


class FaultsClient(_Http):
    """A participant service's `/admin/faults`."""

    hint = SERVICE_TOKEN_HINT

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        transport: httpx.AsyncBaseTransport | None,
        token: str | None = None,
    ) -> None:
        super().__init__(base_url, transport=transport, token=token)
        self.what = f"the {service} service"

    async def slow_down(self, latency_ms: int) -> None:
        await self.request("POST", "/admin/faults", json={"latency_ms": latency_ms})

    async def clear(self) -> None:
        await self.request("DELETE", "/admin/faults")
