"""What the sandbox ERP's page objects raise when a screen does not do what was asked.

The split follows ``shared.errors``: an ERP that is down, slow, logged out or showing an
unexpected page is an :class:`~shared.errors.ExternalServiceError` (retry may help); the
ERP refusing the data (a validation error on Save, a document that is not in the grid)
is a :class:`~shared.errors.BusinessError` (a person must look).  Page objects only
report; the poster decides what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import BusinessError, ConfigurationError, ExternalServiceError

__all__ = [
    "DocumentNotInGrid",
    "ErpPageError",
    "LoginRejected",
    "PaymentRejected",
    "SessionExpired",
]


class ErpPageError(ExternalServiceError):
    """Raised when the ERP shows a server error or another page than the one expected."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__("erp", message)
        self.url = url

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message,), {"url": self.url})


class SessionExpired(ErpPageError):
    """Raised when the ERP sent the browser to its login page (session timed out)."""


class LoginRejected(ConfigurationError):
    """Raised when the ERP refuses the user name or password (fix the settings)."""


class PaymentRejected(BusinessError):
    """Raised when Save is refused; ``errors`` are the ERP's inline messages, in order."""

    def __init__(self, errors: Sequence[str], **context: object) -> None:
        message = "; ".join(errors) or "the ERP refused the payment without a message"
        super().__init__("erp_rejected", message, errors=list(errors), **context)
        self.errors = list(errors)


class DocumentNotInGrid(BusinessError):
    """Raised when the apply grid (or the credits tab) has no open row for a document."""

    def __init__(self, doc_no: str) -> None:
        super().__init__(
            "document_not_open",
            f"{doc_no} is not an open item on the payment screen",
            doc_no=doc_no,
        )
        self.doc_no = doc_no
