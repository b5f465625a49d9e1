"""Where mail comes from: an IMAP mailbox, or a folder of ``.eml`` files.

Both adapters give the same :class:`RawMessage` and take the same ``mark_processed``
call, so the reader runs the same code in production, in tests and on a benchmark
folder.  The IMAP adapter reads with ``BODY.PEEK[]`` (the message stays unseen) and
moves a message to its done folder only when told, which the reader does after its
store commit: a crash in between re-reads the message, and the store's record of
``(uidvalidity, uid)`` makes that second read a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from imapclient import IMAPClient

__all__ = ["FolderMailSource", "ImapMailSource", "MailSource", "RawMessage"]


@dataclass(frozen=True)
class RawMessage:
    """One message as received, with the key that identifies it in its source."""

    source: str  # "imap://user@host:port/INBOX" or the folder path
    key: str  # "<uidvalidity>:<uid>" for IMAP, the file name for a folder
    raw: bytes


class MailSource(Protocol):
    def fetch_new(self) -> Iterator[RawMessage]: ...

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None: ...


class FolderMailSource:
    """Every ``*.eml`` of a folder, in name order; nothing is moved."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fetch_new(self) -> Iterator[RawMessage]:
        for path in sorted(self.folder.glob("*.eml")):
            yield RawMessage(str(self.folder), path.name, path.read_bytes())

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None:
        """Folders are read-only inputs (a benchmark corpus): nothing to do."""


class ImapMailSource:
    """An IMAP folder; processed mail moves to ``Processed`` or ``Failed``."""

    def __init__(self, host: str, port: int, user: str, password: str, *,
                 folder: str = "INBOX", ssl: bool = False, timeout: float = 30.0) -> None:
        self.host, self.port, self.user, self.folder = host, port, user, folder
        self._password = password
        self._client = IMAPClient(host, port=port, ssl=ssl, timeout=timeout)
        self._client.login(user, password)
        for name in ("Processed", "Failed"):
            if not self._client.folder_exists(name):
                self._client.create_folder(name)
        status = self._client.select_folder(folder)
        self.uidvalidity = int(status[b"UIDVALIDITY"])

    @property
    def source(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"

    def fetch_new(self) -> Iterator[RawMessage]:
        uids = self._client.search(["ALL"])
        for uid in uids:
            data = self._client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = data.get(b"BODY[]")
            if isinstance(raw, bytes):
                yield RawMessage(self.source, f"{self.uidvalidity}:{uid}", raw)

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None:
        _, _, uid = message.key.partition(":")
        self._client.move([int(uid)], "Failed" if failed else "Processed")

    def close(self) -> None:
        with contextlib.suppress(OSError, IMAPClient.Error):
            self._client.logout()
