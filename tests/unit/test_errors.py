"""Errors: the business/application split, retry answers, attributes that survive pickling."""

from __future__ import annotations

import pickle

import pytest

from shared.errors import (
    ApplicationError,
    BotError,
    BusinessError,
    ConfigurationError,
    ConflictingDataError,
    ExternalServiceError,
    InvalidTransitionError,
    RecordNotFoundError,
    ServiceTimeoutError,
    StaleVersionError,
    is_retryable,
)


def test_business_error_carries_code_and_context() -> None:
    error = BusinessError("unknown_document", "INV-1 is not in the ledger", doc_no="INV-1")

    assert isinstance(error, BotError)
    assert error.code == "unknown_document"
    assert error.context == {"doc_no": "INV-1"}
    assert str(error) == "[unknown_document] INV-1 is not in the ledger"


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (BusinessError("x", "y"), False),
        (ConflictingDataError("x", "y"), False),
        (ApplicationError("bug"), True),
        (ExternalServiceError("erp", "HTTP 500"), True),
        (ServiceTimeoutError("imap", "no answer in 30 s"), True),
        (ConfigurationError("bad url"), False),
        (StaleVersionError("review_item", 1, 2, 3), False),
        (RecordNotFoundError("payment", "P"), False),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (KeyError("bug"), False),
    ],
)
def test_is_retryable(error: BaseException, retry: bool) -> None:
    assert is_retryable(error) is retry


@pytest.mark.parametrize(
    "error",
    [
        BusinessError("amount_mismatch", "total differs", payment_id="P-1", total="10.00"),
        ConflictingDataError("payment_id_conflict", "differs", payment_id="P-1"),
        ExternalServiceError("erp", "HTTP 503"),
        ServiceTimeoutError("smtp", "timeout"),
        RecordNotFoundError("payment", "P-1"),
        StaleVersionError("review_item", 7, 1, 2),
        InvalidTransitionError("posting", "P-1", "posted", "posting"),
    ],
)
def test_errors_survive_pickling(error: BotError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
