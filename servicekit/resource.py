"""A participant's record routes, built from one description of the record.

Each participant keeps one kind of record that a saga step creates and its compensation undoes
(a reservation, a charge, a shipment). Its four routes differ only in names:

| route | answers |
|---|---|
| `POST /<kind>s` | 201 and the record, the work done once per `Idempotency-Key` |
| `POST /<kind>s/{<kind>_id}/<undo>` | the record undone; a second undo changes nothing |
| `GET /<kind>s?order_id=&idempotency_key=` | records of any status, oldest first |
| `GET /<kind>s/{<kind>_id}` | one record, or 404 `not_found` |

Operation ids and summaries are those of handlers written out by hand (`create_reservation`
→ "Create Reservation"), so the OpenAPI documents read as if they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from orders.problems import problem_responses
from servicekit.deps import IdempotentDep, ReadSessionDep
from servicekit.idempotency import MAX_KEY_LENGTH, Done
from servicekit.records import find, list_records

BodyT = TypeVar("BodyT", bound=BaseModel)

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, description="Skip this many, to page through.")]
OrderIdFilter = Annotated[str | None, Query(max_length=200)]
MadeByFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=(
            "Only the record the first request with this `Idempotency-Key` created (none if it "
            "created none): how a compensation finds exactly what its own step did."
        ),
    ),
]


@dataclass(frozen=True)
class Create(Generic[BodyT]):
    """The saga step's request: its body, the unit of work, and the problems it may answer."""

    body: type[BodyT]
    work: Callable[[AsyncSession, BodyT], Awaitable[Done]]
    doc: str
    problems: Sequence[int]


@dataclass(frozen=True)
class Undo:
    """The compensation's request: `POST .../{id}/<verb>`, its unit of work given the id."""

    verb: str
    work: Callable[[AsyncSession, str], Awaitable[Done]]
    doc: str


@dataclass(frozen=True)
class Resource:
    """One kind of record: its name, table, public schema, and how it is created and undone."""

    kind: str
    table: type[Any]
    public: type[BaseModel]
    create: Create[Any]
    undo: Undo

    @property
    def path(self) -> str:
        return f"/{self.kind}s"

    @property
    def item_path(self) -> str:
        return f"/{self.kind}s/{{{self.kind}_id}}"


def resource_router(resource: Resource, *, tags: Sequence[str] = ()) -> APIRouter:
    """The four routes of `resource` (see the module docstring), in one router."""
    kind, public = resource.kind, resource.public
    router = APIRouter(tags=list(tags))
    record_id = Annotated[str, Path(alias=f"{kind}_id")]

    async def create(body: BaseModel, idempotent: IdempotentDep) -> JSONResponse:
        work = resource.create.work
        return await idempotent.run(body, lambda session: work(session, body), status_code=201)

    async def undo(record_id: str, idempotent: IdempotentDep) -> JSONResponse:
        work = resource.undo.work
        return await idempotent.run(None, lambda session: work(session, record_id), status_code=200)

    async def list_(
        session: ReadSessionDep,
        order_id: OrderIdFilter = None,
        idempotency_key: MadeByFilter = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[BaseModel]:
        rows = await list_records(
            session,
            resource.table,
            order_id=order_id,
            idempotency_key=idempotency_key,
            limit=limit,
            offset=offset,
        )
        return [public.model_validate(row) for row in rows]

    async def get(record_id: str, session: ReadSessionDep) -> BaseModel:
        return public.model_validate(await find(session, resource.table, record_id, kind))

    router.add_api_route(
        resource.path,
        _typed(create, body=resource.create.body),
        methods=["POST"],
        name=f"create_{kind}",
        description=resource.create.doc,
        response_model=public,
        status_code=201,
        responses=problem_responses(*resource.create.problems),
    )
    router.add_api_route(
        f"{resource.item_path}/{resource.undo.verb}",
        _typed(undo, record_id=record_id),
        methods=["POST"],
        name=f"{resource.undo.verb}_{kind}",
        description=resource.undo.doc,
        response_model=public,
        responses=problem_responses(404, 503),
    )
    router.add_api_route(
        resource.path,
        list_,
        methods=["GET"],
        name=f"list_{kind}s",
        description=(
            f"{kind.capitalize()}s of any status, oldest first: of one order, or made by one "
            "request's key."
        ),
        response_model=list[public],  # type: ignore[valid-type]
    )
    router.add_api_route(
        resource.item_path,
        _typed(get, record_id=record_id),
        methods=["GET"],
        name=f"get_{kind}",
        description=f"One {kind}.",
        response_model=public,
        responses=problem_responses(404),
    )
    return router


def _typed(endpoint: Callable[..., Any], **annotations: Any) -> Callable[..., Any]:
    """`endpoint` with these parameters' types. FastAPI reads a route's body model and path
    parameters from its endpoint's signature, and here they are known only once the resource
    is: the body its `Create` names, the id under its `<kind>_id`."""
    endpoint.__annotations__ = {**endpoint.__annotations__, **annotations}
    return endpoint
