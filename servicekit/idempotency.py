"""`Idempotency-Key`: do the work once, answer every retry with the first response.

The first response to a key (status and JSON body, business rejections included) is stored in
the same transaction as the work, so either both are committed or neither is. A later request
with the key and the same fingerprint (method, path, canonical JSON body) gets the stored
response with `Idempotent-Replayed: true`; another fingerprint is answered 422
`idempotency_key_reused`. The key is the primary key of its table: of two concurrent requests
with one key, the second fails to insert it, rolls its work back and replays the first one's
response. 5xx answers are never stored, so a retry after one does the work.

`made_by` reads back which record a key's request created, so a compensation can find what its
own step did and nothing else (see `servicekit.records`).

The store knows nothing of fault injection: an `AfterCommit` hook, when the app gives it one (the
fault state, only with admin routes on), runs once new work is committed and may replace the
answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from orders.problems import ProblemError, ProblemResponse
from servicekit.clock import utcnow
from servicekit.db import Database, UtcDateTime

logger = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyBase(DeclarativeBase):
    pass


class IdempotencyRecord(IdempotencyBase):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int]
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Done:
    """What a unit of work returns: the response model, and whether it changed anything."""

    result: BaseModel
    changed: bool = True


Work = Callable[[AsyncSession], Awaitable[Done]]


class AfterCommit(Protocol):
    """Runs once a request's new work is committed, before it is answered; raising a
    `ProblemError` answers with it instead (the work stays done)."""

    def after_commit(self) -> None: ...


async def made_by(session: AsyncSession, key: str) -> str | None:
    """The id of the record the first request with `key` created: None if there was no such
    request, or it was refused (a refusal creates nothing)."""
    stored = await session.get(IdempotencyRecord, key)
    if stored is None or stored.status_code >= 300 or not isinstance(stored.body, dict):
        return None
    record_id = stored.body.get("id")
    return record_id if isinstance(record_id, str) else None


def fingerprint(method: str, path: str, payload: BaseModel | None) -> str:
    """A hash of what the request asks for: method, path and the validated body, canonical."""
    body = "" if payload is None else _canonical(payload.model_dump(mode="json"))
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any
    changed: bool = False
    replayed: bool = False

    def response(self) -> JSONResponse:
        headers = {REPLAYED_HEADER: "true"} if self.replayed else None
        response_class = ProblemResponse if self.status >= 400 else JSONResponse
        return response_class(self.body, status_code=self.status, headers=headers)


class Idempotent:
    """Runs a mutating request's work under its optional `Idempotency-Key`."""

    def __init__(
        self,
        db: Database,
        method: str,
        path: str,
        key: str | None,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self.db = db
        self.after_commit = after_commit
        self.method = method
        self.path = path
        self.key = key

    async def run(self, payload: BaseModel | None, work: Work, *, status_code: int) -> JSONResponse:
        """Do `work` once per key and answer with its result (or its business rejection)."""
        fp = fingerprint(self.method, self.path, payload)
        try:
            answer = await self._attempt(fp, work, status_code)
        except IntegrityError:
            if self.key is None:
                raise
            # A concurrent request with the same key committed first: answer with its response.
            async with self.db.readers() as session:
                stored = await session.get(IdempotencyRecord, self.key)
            if stored is None:
                raise
            answer = self._replay(stored, fp)
        if answer.changed and self.after_commit is not None:
            self.after_commit.after_commit()
        return answer.response()

    async def _attempt(self, fp: str, work: Work, status_code: int) -> _Answer:
        async with self.db.sessions() as session, session.begin():
            stored = await self._find(session)
            if stored is not None:
                return self._replay(stored, fp)
            try:
                # A savepoint, so a rejection raised halfway through leaves no partial work.
                async with session.begin_nested():
                    done = await work(session)
                answer = _Answer(status_code, done.result.model_dump(mode="json"), done.changed)
            except ProblemError as exc:
                if exc.status >= 500:
                    raise
                answer = _Answer(exc.status, exc.body())
            if self.key is not None:
                session.add(
                    IdempotencyRecord(
                        key=self.key,
                        fingerprint=fp,
                        method=self.method,
                        path=self.path,
                        status_code=answer.status,
                        body=answer.body,
                        created_at=utcnow(),
                    )
                )
                await session.flush()
        return answer

    async def _find(self, session: AsyncSession) -> IdempotencyRecord | None:
        return None if self.key is None else await session.get(IdempotencyRecord, self.key)

    def _replay(self, stored: IdempotencyRecord, fp: str) -> _Answer:
        if stored.fingerprint != fp:
            raise ProblemError(
                422,
                "idempotency_key_reused",
                "Idempotency key reused",
                f"Idempotency-Key {self.key!r} was first used for another request "
                f"({stored.method} {stored.path} with another body).",
            )
        logger.info("replaying %s %s for key %s", self.method, self.path, self.key)
        return _Answer(stored.status_code, stored.body, replayed=True)
