"""FastAPI dependencies the services' routes share, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database
from servicekit.idempotency import MAX_KEY_LENGTH, AfterCommit, Idempotent


async def get_db(request: Request) -> Database:
    db = request.app.state.db
    assert isinstance(db, Database), "the app's lifespan has not run"
    return db


DbDep = Annotated[Database, Depends(get_db)]


async def read_session(db: DbDep) -> AsyncIterator[AsyncSession]:
    """A session for reads: it takes no write lock."""
    async with db.readers() as session:
        yield session


async def get_idempotent(
    request: Request,
    db: DbDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
    ] = None,
) -> Idempotent:
    # The app's hook, if it has one: the fault state with admin routes on, else None.
    after_commit: AfterCommit | None = request.app.state.after_commit
    return Idempotent(db, request.method, request.url.path, idempotency_key, after_commit)


ReadSessionDep = Annotated[AsyncSession, Depends(read_session)]
IdempotentDep = Annotated[Idempotent, Depends(get_idempotent)]
