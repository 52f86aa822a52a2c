"""The service token: participants, and the consumers' read routes, answer only its holders.

Every internal caller (the orchestrator's activities, `orders audit`, the fault routes' users)
sends `Authorization: Bearer <ORDERS_SERVICE_TOKEN>`. One shared secret for the fleet is enough
here: the participants trust the orchestrator fully anyway, and the token keeps out anything else
that can reach their port. A service without a token configured refuses to start, unless told
that running open is intended (`ORDERS_ALLOW_NO_SERVICE_TOKEN=1`).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from orders.problems import ProblemError
from servicekit.settings import ServiceSettings

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hybrid-orders services"'}


class ServiceTokenMissing(SystemExit):
    """Raised while building an app with no token: exits with this message, not a traceback."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name}: no service token configured. Set ORDERS_SERVICE_TOKEN (the secret every "
            "internal caller sends as a bearer token), or ORDERS_ALLOW_NO_SERVICE_TOKEN=1 to run "
            "without one on a network you trust."
        )


def check_configured(name: str, settings: ServiceSettings) -> None:
    if settings.service_token is None and not settings.allow_no_service_token:
        raise ServiceTokenMissing(name)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def require_service_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    settings: ServiceSettings = request.app.state.settings
    expected = settings.service_token
    if expected is None:
        return  # allowed to run open: check_configured said so at startup
    presented = bearer_token(authorization)
    # Constant-time comparison: the time taken says nothing about how much of a guess matched.
    if presented is None or not hmac.compare_digest(
        presented.encode(), expected.get_secret_value().encode()
    ):
        raise ProblemError(
            401,
            "unauthorized",
            "Service token required",
            "Send the service token as `Authorization: Bearer <ORDERS_SERVICE_TOKEN>`.",
            headers=BEARER_CHALLENGE,
        )


ServiceTokenRequired = Depends(require_service_token)
"""For `include_router(..., dependencies=[ServiceTokenRequired])`."""
