"""The suite's exceptions: business errors go to a person, application errors may be retried.

Every exception a bot raises on purpose derives from :class:`BotError`. The split below
decides what happens next, so raise the narrowest class that is true::

    BotError
    ├── BusinessError(code, message, **context)   bad data; a person must look; never retried
    │   └── ConflictingDataError                  same key arrives again with other content
    └── ApplicationError                          outages, timeouts, bugs; may be retried
        ├── ConfigurationError                    settings unusable (never retried)
        ├── ExternalServiceError(service)         ERP / IMAP / SMTP / bank drop unreachable
        │   └── ServiceTimeoutError               ... did not answer in time
        └── StoreError                            the database refused or failed
            ├── RecordNotFoundError               an id that should exist does not
            ├── StaleVersionError                 optimistic lock lost: re-read and retry
            └── InvalidTransitionError            a state change not allowed from the row's state

A bot handles each payment or document inside a boundary: a :class:`BusinessError`
becomes a review item and the batch goes on; an :class:`ApplicationError` is retried
with backoff (``retryable``) and reported when retries run out.  In a Prefect task use
:func:`is_retryable` as the ``retry_condition_fn`` predicate.

Errors carry attributes (``code``, ``context``, ``service``...) so handlers and the review
queue never parse messages.  All of them pickle, so they cross process boundaries
(multiprocessing workers, Prefect results) intact.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApplicationError",
    "BotError",
    "BusinessError",
    "ConfigurationError",
    "ConflictingDataError",
    "ExternalServiceError",
    "InvalidTransitionError",
    "RecordNotFoundError",
    "ServiceTimeoutError",
    "StaleVersionError",
    "StoreError",
    "is_retryable",
]


class BotError(Exception):
    """Root of every error the suite raises on purpose.

    Catch it at a bot's outer boundary only; inside, catch the narrow class you can handle.
    ``retryable`` tells an orchestrator whether running the same step again may succeed.
    """

    retryable: bool = False


class BusinessError(BotError):
    """Raised when the data itself is wrong or unclear and a person must look at it.

    Examples: a remittance that cannot be read, a payment whose payer is unknown, a
    document number that does not exist in the ledger.  It is recorded as a review item
    and **never retried**: running again on the same data gives the same answer.

    ``code`` is a short stable identifier (``"unknown_document"``) used by the review
    queue and in metrics; ``context`` holds the identifiers a handler needs (payment id,
    Message-ID, document numbers), never secrets or whole document bodies.
    """

    retryable = False

    def __init__(self, code: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword context does not survive the default Exception pickling.
        return (_rebuild_business_error, (type(self), self.code, self.message, self.context))


def _rebuild_business_error(
    cls: type[BusinessError], code: str, message: str, context: dict[str, Any]
) -> BusinessError:
    return cls(code, message, **context)


class ConflictingDataError(BusinessError):
    """Raised when a record arrives again under a known key but with different content.

    The key (a bank's payment reference, a remittance id) is our idempotency key, so
    the same key must always carry the same data; when it does not, the bank file or
    the reader is wrong and a person decides which version is true.
    """


class ApplicationError(BotError):
    """Raised for failures of the machinery rather than of the data.

    Timeouts, outages of the ERP, mail server or database, and bugs.  The same step may
    succeed when run again, so orchestrators retry it with growing delays unless the
    subclass says ``retryable = False``.
    """

    retryable = True


class ConfigurationError(ApplicationError):
    """Raised when settings are missing or unusable (wrong URL scheme, unreadable folder).

    Not retryable: nothing changes until someone fixes the configuration.
    """

    retryable = False


class ExternalServiceError(ApplicationError):
    """Raised when an outside system (ERP, IMAP, SMTP, bank drop folder) fails or refuses.

    ``service`` names the system (``"erp"``, ``"imap"``...) so alerts can be grouped.
    """

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service
        self.message = message

    def __str__(self) -> str:
        return f"{self.service}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.service, self.message))


class ServiceTimeoutError(ExternalServiceError):
    """Raised when an outside system did not answer within its configured timeout."""


class StoreError(ApplicationError):
    """Raised when the store (SQLite or PostgreSQL) fails or refuses an operation."""


class RecordNotFoundError(StoreError):
    """Raised when a row that the caller names by id does not exist.

    Usually a stale link or a bug, so it is not retried.  ``entity`` and ``key`` say
    what was looked for.
    """

    retryable = False

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.entity, self.key))


class StaleVersionError(StoreError):
    """Raised when an update names a version of a row that is no longer current.

    Someone else changed the row since it was read (optimistic locking).  Retrying the
    same write is wrong; re-read the row, show the new state, and decide again.
    """

    retryable = False

    def __init__(self, entity: str, key: object, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{entity} {key!r} was changed by someone else: expected version {expected}, "
            f"found {actual}"
        )
        self.entity = entity
        self.key = key
        self.expected = expected
        self.actual = actual

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.entity, self.key, self.expected, self.actual))


class InvalidTransitionError(StoreError):
    """Raised when a state change is not allowed from the row's current state.

    For example posting an outbox entry nobody claimed, or resolving a review item that
    is already resolved.  A bug or a race lost to another worker: not retried.
    """

    retryable = False

    def __init__(self, entity: str, key: object, state: str, wanted: str) -> None:
        super().__init__(f"{entity} {key!r} is {state!r}: cannot move to {wanted!r}")
        self.entity = entity
        self.key = key
        self.state = state
        self.wanted = wanted

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.entity, self.key, self.state, self.wanted))


def is_retryable(exc: BaseException) -> bool:
    """Whether running the failed step again may succeed.

    Business errors and non-retryable application errors answer ``False``; unknown
    exceptions (a bug surfacing as ``KeyError``) answer ``False`` too, because retrying
    a bug only delays the report.  Timeouts and connection errors of the standard
    library count as retryable.
    """
    if isinstance(exc, BotError):
        return exc.retryable
    return isinstance(exc, TimeoutError | ConnectionError)
