"""Which failures spend an event's attempts (its own fault) and which wait for a dependency."""

from __future__ import annotations

import errno
import smtplib
import socket

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa

from workers.consumer.failures import DependencyDown, Failure, classify
from workers.consumer.handler import PermanentFailure
from workers.consumer.settings import ConsumerSettings, RetryPolicy


class _Strict(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Strict.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


def _raised_from(cause: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("wrapped") from cause
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        TimeoutError("timed out"),
        socket.gaierror("no such host"),
        OSError(errno.EHOSTUNREACH, "no route to host"),
        smtplib.SMTPServerDisconnected("gone"),
        smtplib.SMTPDataError(451, b"try later"),
        smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"greylisted")}),
        sa.OperationalError("SELECT 1", {}, Exception("database is locked")),
        sa.InterfaceError("SELECT 1", {}, Exception("connection closed")),
        DependencyDown("said so"),
        _raised_from(ConnectionResetError(errno.ECONNRESET, "reset")),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_dependency_that_does_not_answer_is_a_dependency_failure(exc: BaseException) -> None:
    assert classify(exc) is Failure.DEPENDENCY


@pytest.mark.parametrize(
    "exc",
    [
        _validation_error(),
        KeyError("sku"),
        ValueError("bad total"),
        ZeroDivisionError(),
        sa.IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed")),
        FileNotFoundError(errno.ENOENT, "template"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_bad_data_or_a_bug_is_a_message_failure(exc: BaseException) -> None:
    assert classify(exc) is Failure.MESSAGE


def test_a_permanent_refusal_is_permanent() -> None:
    assert classify(PermanentFailure("550 no such user")) is Failure.PERMANENT


def test_dependency_failures_are_retried_for_hours_message_failures_a_few_times() -> None:
    policy = ConsumerSettings().retry_policy()
    assert policy.max_retry_seconds == 6 * 3600
    # A dependency failure: whatever the delivery, until the event is six hours old ...
    assert policy.retries_dependency(delivery=40, age_seconds=5 * 3600)
    assert not policy.retries_dependency(delivery=5, age_seconds=6 * 3600 + 1)
    # ... and tried max_attempts times (one that waited out a backlog still gets its tries).
    assert policy.retries_dependency(delivery=1, age_seconds=7 * 3600)
    # ... but never past the server's last delivery, which the consumer dead-letters.
    assert not policy.retries_dependency(delivery=policy.max_deliveries, age_seconds=1)
    # A message failure: max_attempts deliveries.
    assert policy.retries(policy.max_attempts - 1)
    assert not policy.retries(policy.max_attempts)


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=300)
    assert [policy.delay(n) for n in (1, 2, 3, 9, 10, 99)] == [1, 2, 4, 256, 300, 300]


@pytest.mark.parametrize(
    "bad",
    [
        {"retry_base_seconds": 10, "retry_cap_seconds": 1},
        {"probe_base_seconds": 10, "probe_cap_seconds": 1},
        {"max_attempts": 101},
        {"max_retry_seconds": 0},
        {"breaker_threshold": 0},
    ],
)
def test_inconsistent_retry_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        ConsumerSettings.model_validate(bad)
