"""Logging: the redaction helper, and that configured handlers never write a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from shared.logging import MASK, RedactingFilter, configure_logging, redact, register_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connect postgresql+psycopg://o2c:s3cr%40t@127.0.0.1:5432/o2c",
            "connect postgresql+psycopg://o2c:***@127.0.0.1:5432/o2c",
        ),
        ("imap://ar:pw123@mail.example/INBOX", "imap://ar:***@mail.example/INBOX"),
        ("login password=hunter22 user=bob", "login password=*** user=bob"),
        ('{"password": "pa ss", "user": "bob"}', '{"password": "***", "user": "bob"}'),
        ("{'secret_key': 'k3y', 'port': 1}", "{'secret_key': '***', 'port': 1}"),
        ("O2C_IMAP__PASSWORD=topsecret", "O2C_IMAP__PASSWORD=***"),
        ("api_key: abc123", "api_key: ***"),
        ("GET /x?access_token=abc&page=2", "GET /x?access_token=***&page=2"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "Authorization: Bearer ***"),
        ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***"),
        ('{"Authorization": "Token abcdef"}', '{"Authorization": "Token ***"}'),
        ("sent bearer abcdefghijklmnop", "sent bearer ***"),
        ('C: a1 LOGIN ar@example.com "pa ss"', "C: a1 LOGIN ar@example.com ***"),
    ],
)
def test_redact_masks_secret_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "payment RHB260302H023062 applied to INV-2026-000406",
        "https://erp.example/payments?page=2",
        "mail from ap@customer.example, Message-ID <abc@x>",
        "token expired, logging in again",
        "password=*** already masked",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_registered_secret_values_are_masked_anywhere() -> None:
    register_secrets([SecretStr("Zq9-registered-value"), "plain-registered-2", None, "ab"])

    assert redact("x Zq9-registered-value y") == f"x {MASK} y"
    assert redact("plain-registered-2") == MASK
    # Too short to mask by value without wrecking the log.
    assert redact("ab cd") == "ab cd"


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_text_handler_masks_messages_args_and_tracebacks(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", json=False, secrets=[SecretStr("erp-Pa55-unique")], stream=stream)
    log = logging.getLogger("bots.test")

    log.info("logging in with %s", "password=erp-Pa55-unique")
    log.info("store at %s", "postgresql+psycopg://o2c:dbpw-9876@db/o2c")
    log.info("settings %s", SecretStr("never-shown-1"))
    try:
        raise RuntimeError("ERP login failed for pw erp-Pa55-unique")
    except RuntimeError:
        log.exception("posting failed")

    output = stream.getvalue()
    assert "erp-Pa55-unique" not in output
    assert "dbpw-9876" not in output
    assert "never-shown-1" not in output
    assert "postgresql+psycopg://o2c:***@db/o2c" in output
    assert "RuntimeError: ERP login failed for pw ***" in output
    assert output.splitlines()[0].endswith("INFO    bots.test: logging in with password=***")


def test_json_handler_writes_one_masked_object_per_line(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    log = logging.getLogger("bots.json")

    log.info("posted %s", "PMT-000123", extra={"payment_id": "P-1", "token": "tok-zzz-1"})
    log.debug("not written at INFO")
    log.warning("Authorization: Bearer abcdefghijkl", extra={"dsn": "smtp://u:smtp-pw@h"})

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["level"] for entry in lines] == ["INFO", "WARNING"]
    assert lines[0]["message"] == "posted PMT-000123"
    assert lines[0]["payment_id"] == "P-1"
    assert lines[0]["logger"] == "bots.json"
    assert lines[0]["ts"].endswith("+00:00")
    assert lines[1]["message"] == "Authorization: Bearer ***"
    assert lines[1]["dsn"] == "smtp://u:***@h"
    assert "tok-zzz-1" not in stream.getvalue()


def test_configure_twice_keeps_one_handler(root_logger: logging.Logger) -> None:
    configure_logging("INFO", json=False, stream=io.StringIO())
    second = io.StringIO()
    configure_logging("INFO", json=False, stream=second)

    logging.getLogger("x").info("once")

    ours = [h for h in root_logger.handlers if h.get_name() == "o2c"]
    assert len(ours) == 1
    assert second.getvalue().count("once") == 1


def test_filter_keeps_a_record_with_bad_format_arguments() -> None:
    record = logging.makeLogRecord(
        {"msg": "two %s %s", "args": ("only-one password=leak-1",), "levelno": logging.INFO}
    )

    assert RedactingFilter().filter(record) is True
    assert "two %s %s" in record.getMessage()
    assert "leak-1" not in record.getMessage()
