"""Scopes, and the principal a bearer token resolves to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    PLACE = "orders:place"
    """Place orders for one's own customer id."""
    READ = "orders:read"
    """Read and list one's own orders."""
    CANCEL = "orders:cancel"
    """Cancel one's own orders."""
    OPERATE = "orders:operate"
    """Operators: every other scope, on every customer's orders."""


ALL_SCOPES = frozenset(Scope)


def parse_scopes(text: str | list[str] | None) -> frozenset[Scope]:
    """Scopes from a space-separated `scope` claim (or a list); unknown ones are ignored."""
    words = text.split() if isinstance(text, str) else (text or [])
    return frozenset(Scope(word) for word in words if word in Scope._value2member_map_)


@dataclass(frozen=True)
class Principal:
    subject: str
    """Who is calling, as logs and the rate limiter name it: `key:<id>` or `jwt:<sub>`."""
    customer_id: str | None
    """The customer whose orders this is; None for an operator."""
    scopes: frozenset[Scope]

    @property
    def operator(self) -> bool:
        return Scope.OPERATE in self.scopes

    def may(self, scope: Scope) -> bool:
        return self.operator or scope in self.scopes

    def owns(self, customer_id: str | None) -> bool:
        """Whether this principal may see orders of `customer_id`."""
        return self.operator or (customer_id is not None and customer_id == self.customer_id)
