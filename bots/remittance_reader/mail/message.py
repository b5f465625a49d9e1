"""One received mail, parsed once: headers we log by, and the bodies we read.

Contract: :func:`parse_message` never raises on malformed MIME; what it could not
decode is left out and the caller decides (an empty result is a review item).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr

__all__ = ["ParsedMail", "parse_message"]

_TAGS = re.compile(r"<[^>]+>")
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (filename, type)

    @property
    def readable_text(self) -> str:
        """The plain body, or the HTML body with its tags stripped when there is none."""
        if self.text.strip():
            return self.text
        return " ".join(_TAGS.sub(" ", _SCRIPT_STYLE.sub(" ", self.html)).split())


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def parse_message(raw: bytes) -> ParsedMail:
    """Parse RFC 5322 bytes into a :class:`ParsedMail`."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[tuple[str, str]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if part.get_content_disposition() == "attachment" or part.get_filename():
            attachments.append((part.get_filename() or "", ctype))
        elif ctype == "text/plain":
            text_parts.append(_content(part))
        elif ctype == "text/html":
            html_parts.append(_content(part))
    name, addr = parseaddr(str(msg.get("From", "")))
    return ParsedMail(
        message_id=str(msg.get("Message-ID", "")).strip(),
        sender=addr.lower(),
        sender_name=name,
        subject=str(msg.get("Subject", "")),
        text="\n".join(text_parts),
        html="\n".join(html_parts),
        attachments=attachments,
    )
