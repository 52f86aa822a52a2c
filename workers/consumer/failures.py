"""Why applying an event failed: the consumer's own dependency is down, or the message is at fault.

```
Exception
├── PermanentFailure        the message can never be applied (a 5xx refusal): dead letter now
├── a dependency failure    SMTP or the database unreachable, a timeout, a 4xx "try later":
│                           retried within the time budget, counted by the circuit breaker;
│                           never spends the message's attempts
└── anything else           bad data, a bug: a message failure, retried up to max_attempts
```

A handler may raise `DependencyDown` to say so explicitly; otherwise the exception (or one it
was raised from) is looked at by type.
"""

from __future__ import annotations

import errno
import smtplib
import socket
from enum import StrEnum

from sqlalchemy import exc as sa

from workers.consumer.handler import PermanentFailure


class DependencyDown(Exception):
    """Raised by a handler whose dependency (a server it needs) did not answer as it should."""


class Failure(StrEnum):
    PERMANENT = "permanent"
    DEPENDENCY = "dependency"
    MESSAGE = "message"


# Connection-level errnos: the peer or the network, never our data.
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EPIPE,
        errno.ETIMEDOUT,
    }
)
_SA_DEPENDENCY = (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)


def classify(exc: BaseException) -> Failure:
    """What `exc`, raised while applying an event, says about the event."""
    if isinstance(exc, PermanentFailure):
        return Failure.PERMANENT
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_dependency(current):
            return Failure.DEPENDENCY
        current = current.__cause__ or current.__context__
    return Failure.MESSAGE


def _is_dependency(exc: BaseException) -> bool:
    if isinstance(exc, DependencyDown | ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx: the server asks us to come back later. 5xx refusals become PermanentFailure in
        # the sender; any other 5xx (our sender, authentication) is our configuration: waiting
        # for it to be fixed is what the breaker does.
        return True
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True  # only 4xx refusals get here (greylisting, a full mailbox): come back later
    if isinstance(exc, _SA_DEPENDENCY):
        return True
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
