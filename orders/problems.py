"""RFC 9457 problem details: the one error shape every service answers with.

A body is `{"type": "urn:hybrid-orders:problem:<code>", "title", "status", "detail", "code"}`
plus extension members (e.g. `"skus"` for `out_of_stock`), served as
`application/problem+json`. Business rejections are raised as `ProblemError`; the handlers
installed by `install_problem_handlers` also turn FastAPI's validation errors, routing errors
and unexpected exceptions into the same shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:hybrid-orders:problem:"

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    415: "unsupported_media_type",
    500: "internal_error",
}


class Problem(BaseModel):
    """The problem+json body, for the OpenAPI document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


class ProblemError(Exception):
    """A request that is answered with a problem: raise it from a route or a unit of work."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
        """Response headers, e.g. `WWW-Authenticate` on a 401 or `Retry-After` on a 429."""
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.title, self.detail, **self.extensions)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_body(status: int, code: str, title: str, detail: str, **ext: Any) -> dict[str, Any]:
    base = {"type": TYPE_PREFIX + code, "title": title, "status": status, "detail": detail}
    return {**base, "code": code, **ext}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting problem answers of a route."""
    content = {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}
    return {
        status: {"description": HTTPStatus(status).phrase, "content": content}
        for status in statuses
    }


def _field_name(loc: tuple[int | str, ...]) -> str:
    # ("body", "items", 0, "quantity") -> "items.0.quantity"; the location goes in its own member.
    if not loc:
        return ""
    return ".".join(str(part) for part in loc[1:]) or str(loc[0])


async def _on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    return ProblemResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _on_validation(request: Request, exc: Exception) -> ProblemResponse:
    # Only where and why, never pydantic's `input` or `ctx`: the input may be a payment token or
    # a key sent in the wrong field, and a problem body ends up in clients' logs.
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(tuple(err.get("loc", ()))),
            "location": str(err["loc"][0]) if err.get("loc") else "",
            "message": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    body = problem_body(
        422, "validation_error", "Invalid request", f"Invalid fields: {fields}", errors=errors
    )
    return ProblemResponse(body, status_code=422)


async def _on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, f"http_{status}")
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) else title
    body = problem_body(status, code, title, detail)
    return ProblemResponse(body, status_code=status, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    # Starlette re-raises the exception after this response is sent, so the server logs it.
    body = problem_body(500, "internal_error", "Internal Server Error", "An unexpected error.")
    return ProblemResponse(body, status_code=500)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
