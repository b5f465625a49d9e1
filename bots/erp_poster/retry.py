"""Growing waits between tries, and which failures are worth another try."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError

from shared.errors import ExternalServiceError

__all__ = ["TRANSIENT", "Backoff"]

# An ERP that is down, slow, logged out or showing an error page; Playwright's
# TimeoutError is a subclass of its Error, and so are lost connections.
TRANSIENT: tuple[type[Exception], ...] = (ExternalServiceError, PlaywrightError)


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries with waits of ``first``, ``2*first``, ... capped at ``cap`` seconds."""

    attempts: int
    first: float
    cap: float

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        return float(min(self.cap, self.first * 2.0 ** max(0, retry - 1)))

    def waits(self) -> Iterator[float]:
        """The wait before each retry (``attempts - 1`` of them)."""
        for retry in range(1, self.attempts):
            yield self.delay(retry)
