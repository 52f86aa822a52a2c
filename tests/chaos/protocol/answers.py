"""What every answer of the API must be, whatever was asked: on time, never a 5xx but the
documented refusals, and every 4xx a problem body with a `code`.

Deadlines. `POST /orders?wait=S` answers within S and a slack; every other call within the
API's own bound on a Temporal call (`api.temporal.RPC_TIMEOUT`, 10 s: the cancel's "no worker
took it in 10 s" is that bound) and the same slack. What follows a wait is one read of the
order: a describe, which takes milliseconds, and a query the API bounds at 2 s
(`api.views.QUICK_QUERY`), all of it when no worker answers; measured here at 2.0 to 2.05 s.
Timings on this 2-core machine vary by half, so 3 s; 5 s leaves 2 more for a loaded machine's
scheduling, and is what `tests/integration/test_bounded_updates.py` allows. A hung call takes
10 s or more, far past it.

The API bounds that query by the wall clock, not per attempt: the SDK retries a query the
server timed out (no worker took it), each try given the whole timeout again.

Refusals. A 503 is accepted only with a problem body, a `Retry-After` and one of the codes
docs/api.md documents: `order_busy` (the server's 10 updates in flight per workflow),
`worker_unavailable` (no worker took a cancel in 10 s) and `temporal_unavailable`; and
`worker_unavailable` only while no worker runs steadily (stopped, or started moments ago).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from api.temporal import RPC_TIMEOUT
from orders.problems import PROBLEM_MEDIA_TYPE

SLACK = 5.0
CALL_BOUND = RPC_TIMEOUT.total_seconds()
DOCUMENTED_503 = frozenset({"order_busy", "worker_unavailable", "temporal_unavailable"})


class AnswerViolation(AssertionError):
    """An answer no client may get, whatever it asked."""


def deadline(wait: float | None) -> float:
    return (wait if wait is not None else CALL_BOUND) + SLACK


@dataclass(frozen=True)
class Answer:
    request: str
    status: int
    headers: httpx.Headers
    body: Any
    elapsed: float
    deadline: float

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def refused(self) -> bool:
        """A documented refusal: nothing was decided, trying again later is safe."""
        return self.status == 503

    @property
    def replayed(self) -> bool:
        return bool(self.headers.get("Idempotent-Replayed") == "true")

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        replayed = " replayed" if self.replayed else ""
        status = self.body.get("status") if isinstance(self.body, dict) else None
        shown = f" {status}" if isinstance(status, str) else ""
        return f"{self.status}{code}{replayed}{shown} in {self.elapsed:.2f}s"


def check(answer: Answer, *, worker_steady: bool) -> None:
    """Raise `AnswerViolation` unless the answer is one any client may get; `worker_steady`
    says whether a worker ran, polling for a while, throughout the call."""
    where = f"{answer.request} → {answer.status}"
    if answer.elapsed > answer.deadline:
        raise AnswerViolation(f"{where} after {answer.elapsed:.1f}s, past {answer.deadline:.1f}s")
    if answer.code == "worker_unavailable" and worker_steady:
        raise AnswerViolation(f"{where}: worker_unavailable while a worker runs")
    if answer.status >= 500 and not (answer.status == 503 and answer.code in DOCUMENTED_503):
        raise AnswerViolation(f"{where}: a 5xx that is no documented refusal: {answer.body}")
    if answer.status == 503 and not answer.headers.get("Retry-After"):
        raise AnswerViolation(f"{where}: a refusal without Retry-After: {answer.body}")
    if answer.status >= 400:
        media = answer.headers.get("content-type", "").split(";")[0]
        if media != PROBLEM_MEDIA_TYPE or not answer.code:
            raise AnswerViolation(f"{where}: not a problem body ({media}): {answer.body}")


def answer_of(request: str, response: httpx.Response, elapsed: float, limit: float) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(request, response.status_code, response.headers, body, elapsed, limit)
