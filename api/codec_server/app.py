"""Temporal's codec server protocol over the project's payload codec.

`POST /decode` and `POST /encode` take and return `{"payloads": [...]}`, payloads in proto-JSON
(base64 `data` and metadata values), with the namespace in `X-Namespace`, as the Web UI
(`--ui-codec-endpoint`) and the CLI (`temporal ... --codec-endpoint`) send them. A caller is
let in with the bearer token or, in dev only, from a trusted browser origin; anyone else gets a
401/403 problem and nothing decoded.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from api.codec_server.settings import CodecServerSettings
from orders.codec import CodecError, EncryptionCodec
from orders.problems import ProblemError, install_problem_handlers, problem_responses

log = logging.getLogger("orders.codec_server")

PayloadsBody = Annotated[dict[str, Any], Body(examples=[{"payloads": []}])]


def create_app(settings: CodecServerSettings, codec: EncryptionCodec) -> FastAPI:
    """The app; `codec` holds the keys (see `orders.encryption.codec`)."""
    app = FastAPI(title="hybrid-orders codec server", version="0.1.0")
    install_problem_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )

    async def authorised(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_namespace: Annotated[str | None, Header()] = None,
    ) -> None:
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            expected = settings.token.get_secret_value() if settings.token else ""
            if scheme.lower() != "bearer" or not expected or not _same(token, expected):
                raise ProblemError(403, "forbidden", "Forbidden", "This token may not decode.")
        elif request.headers.get("origin") not in settings.trusted_origins:
            raise HTTPException(
                401,
                "Send `Authorization: Bearer <ORDERS_CODEC_SERVER_TOKEN>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if x_namespace is not None and x_namespace not in settings.namespaces:
            detail = f"Not a namespace of this server: {x_namespace}"
            raise ProblemError(403, "forbidden_namespace", "Forbidden", detail)

    guarded = APIRouter(
        dependencies=[Depends(authorised)], responses=problem_responses(400, 401, 403)
    )

    @guarded.post("/decode")
    async def decode(body: PayloadsBody) -> dict[str, Any]:
        """Decrypt payloads; plaintext ones come back as they are."""
        payloads = _parse(body)
        try:
            await codec.decode_wrapper(payloads)
        except CodecError as exc:
            raise ProblemError(400, "undecodable", "Cannot decode", str(exc)) from exc
        return _dump(payloads)

    @guarded.post("/encode")
    async def encode(body: PayloadsBody) -> dict[str, Any]:
        """Encrypt payloads under the current key (the Web UI's signal and update inputs)."""
        payloads = _parse(body)
        await codec.encode_wrapper(payloads)
        return _dump(payloads)

    app.include_router(guarded)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return json_format.ParseDict(body, Payloads())
    except json_format.ParseError as exc:
        raise ProblemError(400, "bad_payloads", "Not payloads", str(exc)) from exc


def _dump(payloads: Payloads) -> dict[str, Any]:
    return json_format.MessageToDict(payloads)
