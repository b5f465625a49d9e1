"""Logging for the suite: one set-up call, plain or JSON lines, and secrets masked.

Entry points call :func:`configure_logging` once; modules use
``logging.getLogger(__name__)`` with lazy ``%s`` arguments and log identifiers (bank
reference, Message-ID, document numbers), never credentials or whole remittance bodies.

As a safety net every record is passed through :func:`redact`, the one redaction helper:
the :class:`RedactingFilter` masks the rendered message and extra fields, and the
formatters mask the final line (tracebacks included), so a secret that slips into a
message, an exception or a URL does not reach the log.  It masks

* every value registered with :func:`register_secrets` (``configure_logging`` registers
  the settings' ``SecretStr`` values), wherever it appears;
* ``key=value`` / ``"key": "value"`` pairs whose key names a secret (``password``,
  ``passwd``, ``pwd``, ``secret``, ``token``, ``api_key``, ``O2C_IMAP__PASSWORD``...);
* ``Authorization:`` headers and bare ``Bearer`` tokens;
* credentials in URLs: ``postgresql://user:pw@host`` becomes ``postgresql://user:***@host``;
* the password of an IMAP ``LOGIN user password`` command.

``SecretStr`` objects already render as ``**********``.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from pydantic import SecretStr

__all__ = [
    "MASK",
    "JsonFormatter",
    "RedactingFilter",
    "TextFormatter",
    "configure_logging",
    "redact",
    "register_secrets",
]

MASK = "***"

# Secrets shorter than this are not replaced by value: masking every "ab" in a log would
# destroy the log and reveal the secret's length and position anyway.
_MIN_SECRET_LENGTH = 4

_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<secret>[^@\s/]+)(?=@)"
)
_AUTHORIZATION = re.compile(
    r"(?P<head>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:bearer|basic|digest|token|negotiate)\s+)?)(?P<secret>[^\s\"',;]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\bbearer\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})", re.IGNORECASE)
_KEY_VALUE = re.compile(
    r"(?P<head>\b[\w\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key)[\w\-]*"
    r"[\"']?\s*[:=]\s*[\"']?)"
    # A quoted value runs to its closing quote (it may hold spaces); a bare one to a delimiter.
    r"(?P<secret>(?<=\")[^\"]*(?=\")|(?<=')[^']*(?=')|[^\s\"',;&}\]]+)",
    re.IGNORECASE,
)
_IMAP_LOGIN = re.compile(r"(?P<head>\bLOGIN\s+\"?[^\s\"]+\"?\s+)(?P<secret>\"[^\"]*\"|\S+)")

_PATTERNS = (_URL_CREDENTIALS, _AUTHORIZATION, _BEARER, _KEY_VALUE, _IMAP_LOGIN)

_secrets_lock = threading.Lock()
_known_secrets: frozenset[str] = frozenset()


def register_secrets(values: Iterable[str | SecretStr | None]) -> None:
    """Remember secret values so :func:`redact` masks them wherever they appear."""
    global _known_secrets
    plain = {
        v.get_secret_value() if isinstance(v, SecretStr) else v for v in values if v is not None
    }
    with _secrets_lock:
        _known_secrets = _known_secrets | {v for v in plain if len(v) >= _MIN_SECRET_LENGTH}


def redact(text: str) -> str:
    """Return ``text`` with secrets replaced by ``***`` (see the module docstring)."""
    # Longest first, so a secret containing another registered secret is masked whole.
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_match, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    if match.group("secret") == MASK:
        return match.group(0)
    return match.group("head") + MASK


# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Renders the record's message once, masked, and masks its string extras.

    Put on handlers (``configure_logging`` does), so records of every logger are masked.
    Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A bad format string must not lose the record; keep what we have.
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_ATTRS and isinstance(value, str | SecretStr):
                record.__dict__[key] = redact(str(value))
        return True


class TextFormatter(logging.Formatter):
    """``2026-03-02T09:15:00.123Z INFO    bots.x: message`` in UTC, masked."""

    def __init__(self) -> None:
        super().__init__(
            fmt="%(asctime)s.%(msecs)03dZ %(levelname)-7s %(name)s: %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(jsonlib.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(
    level: str | int = "INFO",
    json: bool = False,
    *,
    secrets: Iterable[str | SecretStr | None] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr), plain or as JSON lines.

    Call once at an entry point, e.g.
    ``configure_logging(s.logging.level, s.logging.json_format, secrets=s.secrets().values())``.
    Calling again replaces the handler installed before (other handlers, such as
    pytest's, are left alone).  Returns the handler.
    """
    register_secrets(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(RedactingFilter())
    handler.set_name("o2c")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "o2c"]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # SQLAlchemy logs every statement at INFO when asked; keep it to warnings by default.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    return handler
