"""Where mail comes from: an IMAP mailbox, or a folder of ``.eml`` files.

Contract.  Both adapters give the same :class:`RawMessage` and take the same
``mark_processed`` call, so the reader runs the same code in production, in tests and
on a benchmark folder.  Settings choose the adapter (:func:`mail_source_from_settings`).

The IMAP adapter (:class:`ImapMailSource`):

* reads with ``BODY.PEEK[]`` (the message stays unseen) and moves a message to its
  done folder (``Processed``/``Failed``, created when missing) only when told, which
  the reader does after its store commit.  A crash in between re-reads the message, and
  the store's record of ``(uidvalidity, uid)`` makes that second read a no-op;
* survives a dropped connection: every IMAP step runs under :meth:`_call`, which on a
  socket error or an aborted session reconnects with growing pauses
  (:class:`Reconnect`) and repeats the step.  Every step is safe to repeat: searches and
  peeks change nothing, and ``UID MOVE`` of a message already moved is a no-op.  When
  the attempts run out it raises :class:`~shared.errors.ExternalServiceError`
  (``service="imap"``; :class:`~shared.errors.ServiceTimeoutError` after a timeout);
  refused credentials raise :class:`~shared.errors.ConfigurationError` at once;
* checks UIDVALIDITY at every (re)connect.  A change means the folder was recreated and
  every UID we hold is stale: it is logged, the pass starts again under the new value (a
  new mailbox generation; the store's key includes UIDVALIDITY), and a message fetched
  under the old value is moved only when found again byte for byte, never by its old UID;
* waits for new mail (:class:`NewMailWaiter`) with IDLE when the server offers it,
  polling otherwise.

It needs the server's MOVE extension (RFC 6851): copy-then-delete could file a message
twice after a crash between the two steps.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from shared.errors import ConfigurationError, ExternalServiceError, ServiceTimeoutError
from shared.settings import ImapSettings

__all__ = [
    "FolderMailSource",
    "ImapMailSource",
    "MailSource",
    "NewMailWaiter",
    "RawMessage",
    "Reconnect",
    "mail_source_from_settings",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Failures of the connection rather than of a command: worth a new connection.
# (socket.timeout and ssl.SSLError are OSErrors; imaplib reports EOF as an abort.)
_TRANSIENT = (OSError, IMAPClientAbortError)
# How long one IDLE check blocks: the bound on noticing a stop request.
_IDLE_SLICE = 0.5


@dataclass(frozen=True)
class RawMessage:
    """One message as received, with the key that identifies it in its source."""

    source: str  # "imap://user@host:port/INBOX" or the folder path
    key: str  # "<uidvalidity>:<uid>" for IMAP, the file name for a folder
    raw: bytes


class MailSource(Protocol):
    def fetch_new(self) -> Iterator[RawMessage]: ...

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None: ...


@runtime_checkable
class NewMailWaiter(Protocol):
    """A source that can block until new mail arrives (the IMAP adapter; not folders)."""

    def wait_for_new(self, timeout: float, *, stop: threading.Event | None = None) -> bool: ...


class FolderMailSource:
    """Every ``*.eml`` of a folder, in name order; nothing is moved."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fetch_new(self) -> Iterator[RawMessage]:
        for path in sorted(self.folder.glob("*.eml")):
            yield RawMessage(str(self.folder), path.name, path.read_bytes())

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None:
        """Folders are read-only inputs (a benchmark corpus): nothing to do."""


@dataclass(frozen=True)
class Reconnect:
    """How often, and how patiently, the IMAP adapter reconnects before giving up.

    ``attempts`` counts tries of one step, the first included; before try *n* + 1 the
    adapter waits ``first_delay * factor ** (n - 1)`` seconds, at most ``max_delay``.
    The defaults keep trying for about 8 s (pauses of 0.25, 0.5, 1, 2 and 4 s): enough
    for a dropped connection or a server restart, short enough to report an outage.
    """

    attempts: int = 6
    first_delay: float = 0.25
    factor: float = 2.0
    max_delay: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_delay < 0 or self.factor < 1 or self.max_delay < 0:
            raise ValueError(f"unusable reconnect policy: {self}")

    def delay(self, failures: int) -> float:
        """The pause after the ``failures``-th failed try (1, 2, ...)."""
        return min(self.max_delay, self.first_delay * self.factor ** (failures - 1))


class _GenerationChanged(Exception):
    """UIDVALIDITY changed under a pass: its UIDs are stale, start the pass again."""


class ImapMailSource:
    """An IMAP folder; processed mail moves to ``Processed`` or ``Failed``.

    Connects (and logs in) in the constructor, so bad settings show at once.  Use it as a
    context manager or call :meth:`close`.  ``use_idle=False`` polls even where the
    server offers IDLE (every ``poll_interval`` seconds).  ``reconnects`` counts the new
    connections made after failures, for the run summary.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        folder: str = "INBOX",
        processed_folder: str = "Processed",
        failed_folder: str = "Failed",
        ssl: bool = False,
        timeout: float = 30.0,
        reconnect: Reconnect | None = None,
        use_idle: bool = True,
        poll_interval: float = 5.0,
    ) -> None:
        self.host, self.port, self.user, self.folder = host, port, user, folder
        self.processed_folder, self.failed_folder = processed_folder, failed_folder
        self.reconnect = reconnect or Reconnect()
        self.use_idle, self.poll_interval = use_idle, poll_interval
        self.reconnects = 0
        self.uidvalidity: int | None = None
        self._password = password
        self._ssl, self._timeout = ssl, timeout
        self._client: IMAPClient | None = None
        # Highest UID a pass has seen in this generation: wait_for_new looks above it.
        self._high_uid = 0
        self._call("connect", lambda client: None)

    @property
    def source(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"

    # ----------------------------------------------------------------- MailSource

    def fetch_new(self) -> Iterator[RawMessage]:
        """Every message in the folder now, oldest first, read without marking it seen.

        A message moved away meanwhile (by another reader) is skipped.  After a
        UIDVALIDITY change the pass starts again under the new value.
        """
        while True:
            validity, uids = self._call("search", self._search_all)
            try:
                for uid in uids:
                    raw = self._call("fetch", partial(self._peek, validity=validity, uid=uid))
                    if raw is not None:
                        yield RawMessage(self.source, f"{validity}:{uid}", raw)
                return
            except _GenerationChanged:
                continue

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None:
        """Move ``message`` to the failed or processed folder (again: a no-op)."""
        validity, _, uid = message.key.partition(":")
        target = self.failed_folder if failed else self.processed_folder

        def move(client: IMAPClient) -> None:
            found: int | None = int(uid)
            if int(validity) != self.uidvalidity:
                # Its UID may now name another message: move it only if found again.
                found = self._find_again(client, message)
            if found is not None:
                client.move([found], target)

        self._call("move", move)

    # ----------------------------------------------------------------- waiting

    def wait_for_new(self, timeout: float, *, stop: threading.Event | None = None) -> bool:
        """Block until mail newer than the last pass arrives (True), or ``timeout``
        seconds pass or ``stop`` is set (False).

        Uses IDLE when the server offers it (Dovecot does), otherwise searches every
        ``poll_interval`` seconds.  A connection dropped while waiting is reopened.
        """
        deadline = time.monotonic() + timeout
        return self._call("wait", lambda client: self._wait(client, deadline, stop))

    def _wait(self, client: IMAPClient, deadline: float, stop: threading.Event | None) -> bool:
        while True:
            if self._newer_than_seen(client):
                return True
            left = deadline - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                return False
            if self.use_idle and client.has_capability("IDLE"):
                if self._idle(client, deadline, stop):
                    return True
                continue  # timed out or stopped: the checks above say which
            pause = min(left, self.poll_interval)
            if stop is not None:
                stop.wait(pause)
            else:
                time.sleep(pause)

    def _idle(self, client: IMAPClient, deadline: float, stop: threading.Event | None) -> bool:
        """One IDLE: True when the server announced a new message."""
        client.idle()
        try:
            while (left := deadline - time.monotonic()) > 0 and not (stop and stop.is_set()):
                wait = min(left, _IDLE_SLICE)
                started = time.monotonic()
                responses = client.idle_check(timeout=wait)
                if any(r[:1] == (b"BYE",) for r in responses):
                    raise IMAPClientAbortError("server said BYE during IDLE")
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    return True
                if not responses and time.monotonic() - started < wait / 2:
                    # imapclient swallows EOF in idle_check and returns nothing at once:
                    # end the IDLE, which fails on a dead connection (and so reconnects).
                    return False
            return False
        finally:
            client.idle_done()

    def _newer_than_seen(self, client: IMAPClient) -> bool:
        # An open session learns of other sessions' deliveries only at a NOOP (or IDLE);
        # SEARCH alone answers from its last view.  "n:*" always matches the highest UID,
        # even one below n: filter.
        client.noop()
        found = client.search(["UID", f"{self._high_uid + 1}:*"])
        return any(uid > self._high_uid for uid in found)

    # ----------------------------------------------------------------- IMAP steps

    def _search_all(self, client: IMAPClient) -> tuple[int, list[int]]:
        client.noop()  # see mail delivered since this session's last command
        uids = sorted(client.search(["ALL"]))
        self._high_uid = max([self._high_uid, *uids])
        assert self.uidvalidity is not None  # set by every connect
        return self.uidvalidity, uids

    def _peek(self, client: IMAPClient, validity: int, uid: int) -> bytes | None:
        if validity != self.uidvalidity:
            raise _GenerationChanged
        raw = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
        return raw if isinstance(raw, bytes) else None

    def _find_again(self, client: IMAPClient, message: RawMessage) -> int | None:
        """The current UID of a message fetched under an older UIDVALIDITY, if still here."""
        message_id = _header(message.raw, b"message-id")
        if message_id is None:
            log.warning(
                "mail %s: UIDVALIDITY changed and it has no Message-ID; left in %s",
                message.key,
                self.folder,
            )
            return None
        for uid in client.search(["HEADER", "Message-ID", message_id]):
            if self._peek(client, self.uidvalidity or 0, uid) == message.raw:
                return int(uid)
        log.warning(
            "mail %s (%s) not found after a UIDVALIDITY change; not moved", message.key, message_id
        )
        return None

    # ----------------------------------------------------------------- connection

    def _call(self, what: str, step: Callable[[IMAPClient], T]) -> T:
        """Run ``step`` on a live connection, reconnecting after transient failures."""
        failures = 0
        while True:
            try:
                return step(self._connected())
            except (*_TRANSIENT, LoginError) as exc:
                self._drop()
                # "[UNAVAILABLE]" is the server's auth back end failing (a restart), not
                # our credentials.
                if isinstance(exc, LoginError) and "UNAVAILABLE" not in str(exc):
                    raise ConfigurationError(f"imap: {self.source}: login refused: {exc}") from None
                failures += 1
                if failures >= self.reconnect.attempts:
                    timed_out = isinstance(exc, TimeoutError)
                    error = ServiceTimeoutError if timed_out else ExternalServiceError
                    raise error(
                        "imap",
                        f"{what} on {self.source} failed {failures} times; "
                        f"last: {type(exc).__name__}: {exc}",
                    ) from exc
                pause = self.reconnect.delay(failures)
                log.warning(
                    "imap %s on %s failed (%s: %s); reconnecting in %.2f s (attempt %d of %d)",
                    what,
                    self.source,
                    type(exc).__name__,
                    exc,
                    pause,
                    failures + 1,
                    self.reconnect.attempts,
                )
                time.sleep(pause)
            except IMAPClientError as exc:
                # The server refused a command on a live connection: not a connection
                # problem, and repeating the same command gets the same answer.
                raise ExternalServiceError("imap", f"{what} on {self.source}: {exc}") from exc

    def _connected(self) -> IMAPClient:
        if self._client is not None:
            return self._client
        client = IMAPClient(self.host, port=self.port, ssl=self._ssl, timeout=self._timeout)
        try:
            client.login(self.user, self._password)
            if not client.has_capability("MOVE"):
                raise ConfigurationError(f"imap: {self.host} does not offer MOVE (RFC 6851)")
            for name in (self.processed_folder, self.failed_folder):
                _ensure_folder(client, name)
            status = client.select_folder(self.folder)
        except BaseException:
            with contextlib.suppress(*_TRANSIENT, IMAPClientError):
                client.shutdown()
            raise
        self._adopt(int(status[b"UIDVALIDITY"]))
        self._client = client
        return client

    def _adopt(self, validity: int) -> None:
        if self.uidvalidity is None:  # the first connection
            self.uidvalidity = validity
            return
        self.reconnects += 1
        log.info("imap reconnected to %s", self.source)
        if validity != self.uidvalidity:
            log.warning(
                "imap %s: UIDVALIDITY changed from %s to %s: stored UIDs are stale, "
                "reading the folder as a new generation",
                self.source,
                self.uidvalidity,
                validity,
            )
            self._high_uid = 0
        self.uidvalidity = validity

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*_TRANSIENT, IMAPClientError):
                client.shutdown()

    def close(self) -> None:
        """Log out (best effort); the source cannot be used afterwards."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*_TRANSIENT, IMAPClientError):
                client.logout()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _ensure_folder(client: IMAPClient, name: str) -> None:
    if client.folder_exists(name):
        return
    try:
        client.create_folder(name)
    except IMAPClientError:
        # Another reader created it between our check and our CREATE.
        if not client.folder_exists(name):
            raise


def _header(raw: bytes, name: bytes) -> str | None:
    """The first ``name:`` header of a raw message (unfolded), without parsing the body."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    for n, line in enumerate(lines):
        if line.lower().startswith(name + b":"):
            value = line[len(name) + 1 :]
            for more in lines[n + 1 :]:
                if not more[:1].isspace():
                    break
                value += b" " + more.strip()
            return value.strip().decode("ascii", "replace") or None
    return None


def mail_source_from_settings(imap: ImapSettings, **options: Any) -> MailSource:
    """The adapter the ``imap`` settings name: a live mailbox or a folder of ``.eml``.

    ``options`` go to :class:`ImapMailSource` (``reconnect``, ``use_idle``...).  Raises
    :class:`~shared.errors.ConfigurationError` when the imap adapter has no password.
    """
    if imap.adapter == "folder":
        return FolderMailSource(imap.drop_folder)
    if imap.password is None:
        raise ConfigurationError("imap: the imap adapter needs a password (O2C_IMAP__PASSWORD)")
    return ImapMailSource(
        imap.host,
        imap.port,
        imap.username,
        imap.password.get_secret_value(),
        folder=imap.inbox,
        processed_folder=imap.processed_folder,
        failed_folder=imap.failed_folder,
        ssl=imap.use_ssl,
        timeout=imap.timeout_seconds,
        **options,
    )
