"""The encrypting data converter's failure converter: failures sealed, and small enough to keep.

Messages and stack traces move into an encoded attribute that the payload codec seals, as with
`DefaultFailureConverterWithEncodedAttributes` (a message can quote an order's data).

And a failure is made to fit what the server keeps. Of a retrying activity the server stores the
last failure only up to `limit.mutableStateActivityFailureSize.error`, 4 KiB by default, measured
on the failure as sent: sealed attributes, details and causes all count. Above it the server
stores "Failure exceeds size limit." instead, over a cut-down copy that has lost the sealed
message, and that is what the pending activity shows and, when the step's deadline passes, the
order's last error (temporalio/temporal, `truncateRetryableActivityFailure` in
service/history/workflow/mutable_state_impl.go).

So a failure over `BUDGET` sheds what says least about why it happened, until it fits: its
causes' stack traces, its causes from the deepest up, its own stack trace, then the end of its
message. Details are data, and stay. The worker's log keeps the whole exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from temporalio.api.failure.v1 import Failure
from temporalio.converter import (
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    FailureConverter,
    PayloadConverter,
)

SERVER_LIMIT = 4 * 1024
"""The server's default `limit.mutableStateActivityFailureSize.error`, in bytes."""
SEALING_ALLOWANCE = 160
"""What sealing adds to one payload at most: nonce, tag, and metadata naming a key id of up to 64
characters (`orders.codec`). The converter measures a failure before the codec runs."""
BUDGET = SERVER_LIMIT - 1024
"""Leaves room for what the SDK's core adds to a failure after the converter."""
MESSAGE_FLOOR = 256
"""The characters of a message kept when nothing else is left to shed."""
ENCODED_MESSAGE = "Encoded failure"
"""What the SDK leaves in a failure's plaintext message once its attributes are encoded."""

_PAYLOADS = (
    ("application_failure_info", "details"),
    ("timeout_failure_info", "last_heartbeat_details"),
    ("canceled_failure_info", "details"),
    ("reset_workflow_failure_info", "last_heartbeat_details"),
)


class BoundedFailureConverter(FailureConverter):
    """`DefaultFailureConverterWithEncodedAttributes`, with failures cut to fit `BUDGET`.

    An exception whose class sets `send_stack_trace = False` is sent without its stack trace.
    """

    def __init__(self) -> None:
        self._plain = DefaultFailureConverter()
        self._sealed = DefaultFailureConverterWithEncodedAttributes()

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        self._plain.to_failure(exception, payload_converter, failure)
        if getattr(exception, "send_stack_trace", True) is False:
            failure.stack_trace = ""
        _shrink(failure, lambda f: _sealed_size(f, payload_converter) <= BUDGET)
        _encode_attributes(failure, payload_converter)

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        return self._sealed.from_failure(failure, payload_converter)


def _shrink(failure: Failure, fits: Callable[[Failure], bool]) -> None:
    """Shed the least telling parts of `failure`, in place, until `fits(failure)`."""
    if fits(failure):
        return
    for cause in _causes(failure):
        cause.stack_trace = ""
    while failure.HasField("cause") and not fits(failure):
        *_, parent, _deepest = _levels(failure)
        parent.ClearField("cause")
    if fits(failure):
        return
    failure.stack_trace = ""
    if not fits(failure) and len(failure.message) > MESSAGE_FLOOR:
        failure.message = failure.message[: MESSAGE_FLOOR - 1] + "…"


def _sealed_size(failure: Failure, payload_converter: PayloadConverter) -> int:
    """At most the bytes `failure` takes once its attributes are encoded and sealed."""
    encoded = Failure()
    encoded.CopyFrom(failure)
    _encode_attributes(encoded, payload_converter)
    payloads = 0
    for level in _levels(encoded):
        payloads += level.HasField("encoded_attributes")
        for info, field in _PAYLOADS:
            if level.HasField(info):  # type: ignore[arg-type]
                payloads += len(getattr(getattr(level, info), field).payloads)
    return encoded.ByteSize() + payloads * SEALING_ALLOWANCE


def _encode_attributes(failure: Failure, payload_converter: PayloadConverter) -> None:
    # As the SDK's converter does at each level; a level copied from a failure that was already
    # encoded (an activity's, re-raised by a workflow) keeps its sealed attributes.
    for level in _levels(failure):
        if level.HasField("encoded_attributes") and level.message == ENCODED_MESSAGE:
            continue
        attributes = {"message": level.message, "stack_trace": level.stack_trace}
        level.encoded_attributes.CopyFrom(payload_converter.to_payloads([attributes])[0])
        level.message = ENCODED_MESSAGE
        level.stack_trace = ""


def _levels(failure: Failure) -> Iterator[Failure]:
    yield failure
    while failure.HasField("cause"):
        failure = failure.cause
        yield failure


def _causes(failure: Failure) -> Iterator[Failure]:
    levels = _levels(failure)
    next(levels)
    return levels
