"""FastAPI dependencies the services' routes share, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database
from servicekit.faults import FaultState
from servicekit.idempotency import MAX_KEY_LENGTH, Idempotent


async def get_db(request: Request) -> Database:
    db = request.app.state.db
    assert isinstance(db, Database), "the app's lifespan has not run"
    return db


async def get_faults(request: Request) -> FaultState:
    faults = request.app.state.faults
    assert isinstance(faults, FaultState)
    return faults


DbDep = Annotated[Database, Depends(get_db)]
FaultsDep = Annotated[FaultState, Depends(get_faults)]


async def read_session(db: DbDep) -> AsyncIterator[AsyncSession]:
    """A session for reads: it takes no write lock."""
    async with db.readers() as session:
        yield session


async def get_idempotent(
    request: Request,
    db: DbDep,
    faults: FaultsDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
    ] = None,
) -> Idempotent:
    return Idempotent(db, faults, request.method, request.url.path, idempotency_key)


ReadSessionDep = Annotated[AsyncSession, Depends(read_session)]
IdempotentDep = Annotated[Idempotent, Depends(get_idempotent)]
