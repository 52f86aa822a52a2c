"""One participant service over HTTP: idempotency keys, problem bodies, error mapping.

A participant's answer falls in one of three classes, and the mapping is the whole point:

- 2xx: the JSON body.
- no definite answer (connection error, timeout, 408, 429, 5xx): `ParticipantUnavailable`, which
  Temporal retries. The request may have taken effect; the idempotency key makes the retry safe.
- 4xx: a definite "no". A known problem `code` becomes its `Rejection`; any other 4xx is a
  `ContractViolation`. Both are non-retryable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from temporalio import activity

from orders.errors import ContractViolation, ParticipantUnavailable, Rejection

# 401/403 mean the fleet's service token is wrong (being rotated, mistyped): the order is not at
# fault, so retry until an operator fixes it rather than fail the order.
RETRYABLE_STATUS = frozenset({401, 403, 408, 425, 429})
# How much of an exception's text or a participant's problem a failure's message quotes: the
# server keeps a retrying step's last failure only up to a size (see `orders.failure_converter`).
QUOTE_CHARS = 200


def idempotency_key(
    order_id: str, step: str, *, saga: str | None = None, record: str | None = None
) -> str:
    """`order-<order_id>[:<saga>]:<step>[:<record>]`: one key per piece of work, ever.

    `saga` (the workflow's first run id) keeps a reused order id's work apart from the work of
    the order that used it first; `record` gives each record an undo touches a key of its own.
    """
    scope = f"order-{order_id}" if saga is None else f"order-{order_id}:{saga}"
    return f"{scope}:{step}" if record is None else f"{scope}:{step}:{record}"


class ParticipantClient:
    def __init__(self, name: str, http: httpx.AsyncClient) -> None:
        self.name = name
        self._http = http

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return await self._send("GET", path, params=params)

    async def post(
        self,
        path: str,
        *,
        key: str,
        json: Any = None,
        rejections: Mapping[str, type[Rejection]] | None = None,
    ) -> Any:
        return await self._send(
            "POST", path, json=json, headers={"Idempotency-Key": key}, rejections=rejections
        )

    async def undo_all(
        self,
        collection: str,
        *,
        order_id: str,
        saga: str | None,
        step: str,
        undo: str,
        live: str,
        action: str,
    ) -> list[str]:
        """POST `<collection>/<id>/<action>` for each record of the step still `live`.

        The records are looked up, not taken from the workflow, because the step may have taken
        effect without the workflow learning its id (a timeout after commit). With a `saga`, the
        lookup asks for the one record the step's own request created, so a record of another
        order that used the same id is never touched; without one (orders from before sagas), it
        takes every record of the order. Each undo has its own key. Nothing to undo is a success.
        """
        params = {"order_id": order_id}
        if saga is not None:
            params["idempotency_key"] = idempotency_key(order_id, step, saga=saga)
        undone = []
        for record in await self.get(collection, params):
            if record["status"] == live:
                record_id = str(record["id"])
                key = idempotency_key(order_id, undo, saga=saga, record=record_id)
                await self.post(f"{collection}/{record_id}/{action}", key=key)
                undone.append(record_id)
        return undone

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        rejections: Mapping[str, type[Rejection]] | None = None,
    ) -> Any:
        try:
            response = await self._http.request(
                method, path, params=params, json=json, headers=headers
            )
        except httpx.TransportError as exc:
            # From None: the message names the error, and httpx's causes (httpcore's, with
            # their stack traces) would make the failure too big for the server to keep.
            raise ParticipantUnavailable(
                f"{self.name} unreachable on {method} {path}: {_reason(exc)}"
            ) from None
        status = response.status_code
        if status < 300:
            return response.json()
        problem = _problem(response)
        if status >= 500 or status in RETRYABLE_STATUS:
            said = problem.get("code") or problem.get("detail") or response.reason_phrase
            raise ParticipantUnavailable(
                f"{self.name} answered {status} on {method} {path}: {_quote(str(said))}"
            )
        details = {
            **problem,
            "participant": self.name,
            "status": status,
            "attempt": _attempt(),
        }
        code = str(problem.get("code", ""))
        rejection = (rejections or {}).get(code, ContractViolation)
        message = str(problem.get("detail") or problem.get("title") or f"{status} from {self.name}")
        raise rejection(_quote(message), details)  # the whole problem is in the details


def _reason(exc: httpx.TransportError) -> str:
    """`ReadTimeout`, or `ConnectError: [Errno 111] Connection refused`."""
    text = str(exc)
    return f"{type(exc).__name__}: {_quote(text)}" if text else type(exc).__name__


def _quote(text: str) -> str:
    """`text`, cut to `QUOTE_CHARS`: a participant's words have no bound, a failure's must."""
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:500]}
    return body if isinstance(body, dict) else {"detail": str(body)[:500]}


def _attempt() -> int:
    return activity.info().attempt if activity.in_activity() else 1
