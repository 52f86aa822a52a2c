"""The errors every command reports in one line on stderr, with its exit code:

CliError          what a command reports before exiting non-zero           (exit 1)
├── Unreachable   no answer: connection refused, timed out or cut off      (exit 2)
│   └── MaybeLanded   sent, but no answer came: it may have taken effect
└── ApiError      a non-2xx answer, an RFC 9457 problem when it is ours    (exit 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import ValidationError
from pydantic_settings import BaseSettings


class CliError(Exception):
    """What a command reports in one line on stderr before exiting non-zero."""

    exit_code = 1


class Unreachable(CliError):
    exit_code = 2


@dataclass(frozen=True)
class FieldError:
    field: str
    location: str
    message: str


class ApiError(CliError):
    """A non-2xx answer: `code` and `detail` from its problem body, `errors` on a 422."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[FieldError] | None = None,
        title: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.title = title
        self.retry_after = retry_after
        """Seconds the server asked to wait before trying again (`Retry-After`), if it did."""
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.errors:
            return self.detail
        fields = "; ".join(f"{e.field or e.location}: {e.message}" for e in self.errors)
        return f"{self.title or 'Invalid request'}: {fields}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # Not one of ours (a proxy, a server that crashed before answering): say what it was.
            text = response.text.strip().splitlines()
            detail = text[0][:200] if text else response.reason_phrase
            return cls(response.status_code, f"http_{response.status_code}", detail)
        errors = [
            FieldError(str(e.get("field", "")), str(e.get("location", "")), str(e.get("message")))
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
        return cls(
            status=response.status_code,
            code=str(body.get("code", f"http_{response.status_code}")),
            detail=str(body.get("detail") or body.get("title") or response.reason_phrase),
            errors=errors,
            title=str(body.get("title", "")),
            retry_after=_seconds(response.headers.get("Retry-After")),
        )


def _seconds(retry_after: str | None) -> float | None:
    try:
        return None if retry_after is None else max(float(retry_after), 0.0)
    except ValueError:
        return None  # an HTTP date: not one of ours


class MaybeLanded(Unreachable):
    """The request was sent, but its answer never came: it may have taken effect."""


def bad_settings(exc: BaseException) -> str | None:
    """One line naming each environment variable that does not parse, when `exc` is a settings
    class's validation error (an `ORDERS_*` value, say); None for any other exception."""
    if not isinstance(exc, ValidationError):
        return None
    found = [cls for cls in _settings_classes(BaseSettings) if cls.__name__ == exc.title]
    if not found:
        return None
    prefix = str(found[0].model_config.get("env_prefix") or "")
    problems = []
    for error in exc.errors():
        variable = prefix + "_".join(map(str, error["loc"])).upper()
        given = "" if error["type"] == "missing" else f"={error['input']!r}"
        problems.append(f"{variable}{given}: {error['msg']}")
    return f"bad setting: {'; '.join(problems)} (docs/configuration.md)"


def _settings_classes(base: type[BaseSettings]) -> list[type[BaseSettings]]:
    found = []
    for cls in base.__subclasses__():
        found.extend([cls, *_settings_classes(cls)])
    return found
