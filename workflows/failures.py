"""Reading an activity's failure: what to tell the customer, the operator and the status query."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

from orders.models import Failure, to_major_units


def failure_of(err: ActivityError, step: str) -> Failure:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        return Failure(
            type=cause.type or "ApplicationError",
            message=cause.message,
            step=step,
            details=details,
        )
    if isinstance(cause, TimeoutError):
        kind = cause.type.name.lower().replace("_", " ") if cause.type else "timeout"
        last = f"; last error: {cause.cause}" if cause.cause else ""
        return Failure(
            type="StepTimedOut",
            message=f"{step} did not succeed in time ({kind}){last}",
            step=step,
        )
    return Failure(type=type(cause or err).__name__, message=str(cause or err), step=step)


def attempts_of(err: ActivityError) -> int:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        return int(cause.details[0].get("attempt", 0))
    return 0


def money(amount: int, currency: str) -> str:
    return f"{to_major_units(amount, currency):,.2f} {currency}"
