"""Fault injection, in memory and per process, so tests can make a participant misbehave.

`POST /admin/faults` sets the faults, `GET` shows them, `DELETE` clears them. They apply to every
route but `/healthz` and `/admin/*`:

- `latency_ms`: every request first sleeps this long (drives timeouts in the caller);
- `error_rate`: then, with this probability, the request is answered 503 `injected_fault`
  before any work is done (a clean, retryable failure);
- `fail_after_commit`: a mutating request that did new work commits it and then answers 503
  `injected_fault_after_commit`, the case where the caller cannot tell whether the work happened.
  A retry with the same `Idempotency-Key` replays the stored response and recovers;
- `hold`: every request waits, before any work, until the hold is lifted (faults set without
  it, or cleared). `GET` counts the requests held now, so a test can wait until the call it must
  land inside is being held, act, then let it go, instead of racing a latency window.

All of it exists only in an app built with admin routes on (`<SERVICE>_ENABLE_ADMIN`, the local
stack and the tests): `servicekit.participant` then mounts the middleware and the routes, and
hands the state to the idempotency store as its `AfterCommit` hook. With admin off, no request
meets it.
"""

from __future__ import annotations

import asyncio
import logging
import random

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from orders.problems import ProblemError, ProblemResponse, problem_body

logger = logging.getLogger(__name__)

EXEMPT_PATHS = ("/healthz",)
EXEMPT_PREFIXES = ("/admin/",)


class Faults(BaseModel):
    """The faults in force; `POST /admin/faults` replaces them all (missing fields reset)."""

    model_config = ConfigDict(frozen=True)

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0)
    fail_after_commit: bool = False
    hold: bool = False


class FaultReport(Faults):
    """The faults in force, and how many requests the hold keeps waiting now."""

    held: int = 0


class FaultState:
    """The current faults of one app instance; an `AfterCommit` hook of the idempotency store."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._current = Faults()
        self._rng = rng or random.Random()
        self._released = asyncio.Event()
        self._released.set()
        self.held = 0

    @property
    def current(self) -> Faults:
        return self._current

    @current.setter
    def current(self, faults: Faults) -> None:
        self._current = faults
        if faults.hold:
            self._released.clear()
        else:
            self._released.set()  # lets every held request go on

    def report(self) -> FaultReport:
        return FaultReport(**self._current.model_dump(), held=self.held)

    async def wait_while_held(self) -> None:
        if self._released.is_set():
            return
        self.held += 1
        try:
            await self._released.wait()
        finally:
            self.held -= 1

    def roll_error(self) -> bool:
        rate = self.current.error_rate
        return rate > 0 and self._rng.random() < rate

    def after_commit(self) -> None:
        """Raise the after-commit fault, if set; called once new work has been committed."""
        if self.current.fail_after_commit:
            raise ProblemError(
                503,
                "injected_fault_after_commit",
                "Injected fault",
                "The work was committed, then this response was replaced by an injected fault.",
            )


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path == "/admin" or path.startswith(EXEMPT_PREFIXES)


class FaultMiddleware:
    """Applies latency and the error rate before a request reaches its route."""

    def __init__(self, app: ASGIApp, faults: FaultState) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        faults = self.faults.current
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        await self.faults.wait_while_held()
        if self.faults.roll_error():
            logger.info("injected fault on %s %s", scope["method"], scope["path"])
            body = problem_body(
                503, "injected_fault", "Injected fault", "Failed on purpose before doing any work."
            )
            await ProblemResponse(body, status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


router = APIRouter(prefix="/admin/faults", tags=["admin"])


def _state(request: Request) -> FaultState:
    state = request.app.state.faults
    assert isinstance(state, FaultState)
    return state


@router.get("", response_model=FaultReport)
async def get_faults(request: Request) -> FaultReport:
    """The faults in force, and the number of requests held now."""
    return _state(request).report()


@router.post("", response_model=FaultReport)
async def set_faults(faults: Faults, request: Request) -> FaultReport:
    """Replace the faults in force; lifting a hold lets the held requests go on."""
    state = _state(request)
    state.current = faults
    logger.warning("faults set: %s", faults.model_dump())
    return state.report()


@router.delete("", status_code=204, response_model=None, response_class=Response)
async def clear_faults(request: Request) -> Response:
    """Clear all faults."""
    _state(request).current = Faults()
    logger.info("faults cleared")
    return Response(status_code=204)
