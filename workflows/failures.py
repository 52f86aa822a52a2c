"""Reading an activity's failure: what to tell the customer, the operator and the status query."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, RetryState, TimeoutError

from orders.models import Failure

STEP_TIMED_OUT = "StepTimedOut"


def failure_of(err: ActivityError, step: str) -> Failure:
    cause = err.cause
    if err.retry_state is RetryState.TIMEOUT and not isinstance(cause, TimeoutError):
        # Retried until its deadline, which fell between two attempts: the server reports the
        # last attempt's error, but what the order met is the deadline.
        return Failure(
            type=STEP_TIMED_OUT,
            message=f"{step} did not succeed in time; last error: {cause or err}",
            step=step,
        )
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
            type=STEP_TIMED_OUT,
            message=f"{step} did not succeed in time ({kind}){last}",
            step=step,
        )
    return Failure(type=type(cause or err).__name__, message=str(cause or err), step=step)


def attempts_of(err: ActivityError) -> int:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        return int(cause.details[0].get("attempt", 0))
    return 0
