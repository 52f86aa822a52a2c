"""A bearer token → the `Principal` it stands for, or a 401 problem that says what to send."""

from __future__ import annotations

import logging

from api.auth.jwt_tokens import InvalidToken, JwtVerifier
from api.auth.keys import KeyStore, key_id_of
from api.auth.scopes import Principal, Scope
from api.auth.settings import AuthSettings
from orders.problems import ProblemError

log = logging.getLogger("orders.api.auth")

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hybrid-orders"'}


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "unauthorized", "Authentication required", detail, headers=CHALLENGE)


def forbidden(scope: Scope) -> ProblemError:
    return ProblemError(
        403,
        "insufficient_scope",
        "Insufficient scope",
        f"This request needs the {scope.value} scope.",
        scope=scope.value,
    )


class Authenticator:
    def __init__(self, settings: AuthSettings) -> None:
        path = settings.api_keys_file
        self._keys = KeyStore(path) if path is not None else None
        key = settings.jwt_verification_key()
        self._jwt = (
            JwtVerifier(key, settings.jwt_algorithms, settings.jwt_issuer, settings.jwt_audience)
            if key
            else None
        )
        if self._keys is None and self._jwt is None:
            log.warning("no ORDERS_API_KEYS_FILE nor ORDERS_JWT_KEY: every request will be refused")

    def authenticate(self, token: str | None) -> Principal:
        if token is None:
            raise unauthorized("Send `Authorization: Bearer <API key or JWT>`.")
        if key_id_of(token) is not None:
            stored = self._keys.lookup(token) if self._keys is not None else None
            if stored is None:
                # The key id is public; logging it lets operators see who is failing.
                log.info("refused API key %s: unknown or revoked", key_id_of(token))
                raise unauthorized("The API key is unknown or revoked.")
            return Principal(f"key:{stored.id}", stored.customer_id, stored.scope_set())
        if self._jwt is not None and token.count(".") == 2:
            try:
                return self._jwt.verify(token)
            except InvalidToken as exc:
                log.info("refused JWT: %s", exc)
                raise unauthorized(f"The token is not valid ({exc}).") from None
        raise unauthorized("The bearer token is neither an API key nor an accepted JWT.")
