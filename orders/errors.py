"""The errors hybrid-orders raises, as one tree.

```
Exception
├── ParticipantUnavailable        a participant could not answer (connection error, timeout, 5xx):
│                                 retryable, Temporal tries the activity again; no cause, no stack
│                                 trace, so the server keeps it as the step's last failure
└── temporalio ApplicationError
    └── Rejection                 a participant answered "no": non-retryable, the order fails
        ├── OutOfStock            inventory is short of one or more SKUs
        ├── UnknownProduct        a SKU is not in the catalog
        ├── UnsupportedCurrency   the catalog does not price in the order's currency
        ├── PaymentDeclined       the card was declined (details carry the decline code)
        ├── Undeliverable         shipping does not serve the destination
        └── ContractViolation     a 4xx the adapter does not understand: a bug, never retried
```

A `Rejection` crosses Temporal as an `ApplicationError` whose `type` is the class name, so the
workflow matches on `error.type == OutOfStock.__name__` and never imports activity code.
"""

from __future__ import annotations

from typing import Any, ClassVar

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory


class ParticipantUnavailable(Exception):
    """A participant service did not give a definite answer; calling again may succeed.

    Raised `from None`, its message naming the participant, the call and the transport error or
    answer: the server keeps a retrying step's last failure only up to a size limit (see
    `orders.failure_converter`), and over it the operator would read the limit, not the reason.
    """

    send_stack_trace: ClassVar[bool] = False
    """Raised at one place for an expected fault: its trace says nothing its message does not."""


class Rejection(ApplicationError):
    """A participant's definite refusal: retrying the same request cannot change the answer."""

    expected: ClassVar[bool] = True
    """An everyday business outcome: logged at DEBUG by the SDK, not as an activity failure."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(
            message,
            details or {},
            type=type(self).__name__,
            non_retryable=True,
            category=(
                ApplicationErrorCategory.BENIGN
                if self.expected
                else ApplicationErrorCategory.UNSPECIFIED
            ),
        )


class OutOfStock(Rejection):
    """Inventory is short of one or more SKUs (details: `skus`)."""


class UnknownProduct(Rejection):
    """One or more SKUs are not in the catalog (details: `skus`)."""


class UnsupportedCurrency(Rejection):
    """The catalog does not price in the order's currency."""


class PaymentDeclined(Rejection):
    """The payment was declined (details: `decline_code`)."""


class Undeliverable(Rejection):
    """Shipping does not serve the destination (details: `country`)."""


class ContractViolation(Rejection):
    """A participant answered with a 4xx the adapter does not know: a bug, never retried."""

    expected = False


BUSINESS_REJECTIONS: frozenset[str] = frozenset(
    cls.__name__
    for cls in (OutOfStock, UnknownProduct, UnsupportedCurrency, PaymentDeclined, Undeliverable)
)
"""Rejection types that are the customer's or the catalog's doing, not a system fault."""
