"""JWT bearer tokens, verified against one configured key: `sub` is the customer id, `scope` the
space-separated scopes. Only allowlisted algorithms are accepted (never `none`, and never an
HMAC algorithm with a public key), `exp` is required, `iss` and `aud` checked when configured."""

from __future__ import annotations

import jwt

from api.auth.scopes import Principal, parse_scopes

LEEWAY_SECONDS = 30
"""Clock skew tolerated between the issuer and this API."""


class InvalidToken(Exception):
    """The token is not one we accept; the message says why, without the token."""


class JwtVerifier:
    def __init__(
        self, key: str, algorithms: list[str], issuer: str | None, audience: str | None
    ) -> None:
        self._key = key
        self._algorithms = algorithms
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self._issuer is not None,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        subject = str(claims["sub"])
        scopes = parse_scopes(claims.get("scope"))
        return Principal(f"jwt:{subject}", subject, scopes)
