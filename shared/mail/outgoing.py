"""Mail the suite sends (remittance requests now; invoices and dunning letters next).

Two adapters behind one small protocol, chosen by ``settings.smtp.adapter``:

* :class:`SmtpMailSender` sends through an SMTP server (STARTTLS and login when set);
* :class:`FolderMailSender` writes each message as an ``.eml`` file, for a run without a
  mail server (the embedded default) or for a person to check before anything goes out.

Every message gets a Message-ID made from a caller's key (``remittance-request.P123``),
so a message sent twice after a crash is recognisably the same message, and the folder
adapter keeps one file per key.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from shared.settings import SmtpSettings

__all__ = [
    "FolderMailSender",
    "MailSender",
    "SmtpMailSender",
    "compose",
    "mail_sender_from_settings",
]


class MailSender(Protocol):
    """Sends one composed message; raises ``OSError`` or ``smtplib.SMTPException``."""

    def send(self, message: EmailMessage) -> None: ...


def compose(*, key: str, from_address: str, to: Sequence[str], subject: str,
            body: str) -> EmailMessage:
    """A plain-text message whose Message-ID is derived from ``key``."""
    if not to:
        raise ValueError("a message needs at least one recipient")
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{_digest(key)}.{_safe(key)[:40]}@o2c-bots>"
    message.set_content(body)
    return message


class SmtpMailSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                password = s.password.get_secret_value() if s.password else ""
                smtp.login(s.username, password)
            refused = smtp.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


class FolderMailSender:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = _digest(str(message["Message-ID"])) + ".eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(message.as_bytes())
        os.replace(temporary, self.folder / name)  # whole files only, one per Message-ID


def mail_sender_from_settings(settings: SmtpSettings) -> MailSender:
    if settings.adapter == "smtp":
        return SmtpMailSender(settings)
    return FolderMailSender(settings.outbox_folder)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in key)
